"""The drill in a browser (``handcalc serve``): a Falcon application served by waitress on
the loopback, the page's files in ``static/``. See handcalc.web.app."""
