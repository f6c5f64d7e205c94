"""Chinese all the way through, the last English lines (issue 21 follow-up): click's own
usage errors and help headings, whole-file spec errors, given-data errors and warnings, the
class-grading refusals, the worksheet's and grade's option errors. Each is run in Chinese
(it reads as Chinese: CJK, no English sentence) and in English (unchanged)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from test_zh_text import english_run

from handcalc.cli import cli

CJK = re.compile("[\u4e00-\u9fff]")


def run(*args: str, env: dict[str, str] | None = None, input: str | bytes | None = None):
    return CliRunner().invoke(cli, list(args), env=env, input=input, prog_name="handcalc")


def chinese(text: str) -> None:
    """Every line of `text` that is not empty is Chinese; a usage line and the hint to
    --help are a command line (its names are code)."""
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines, text
    for line in lines:
        if line.startswith(("用法：handcalc ", "查看帮助：handcalc ")):
            continue
        assert english_run(line) is None, line
    assert CJK.search(text), text


# ---------------------------------------------------------------- click's own words

CLICK_ERRORS = [
    (["check", "worked-1"], "Missing argument 'PART'.", "缺少参数 'PART'"),
    (["new", "attention", "--bogus"], "No such option '--bogus'.", "没有选项 '--bogus'"),
    (["new", "attention", "--level", "9"],
     "Invalid value for '--level': 9 is not in the range 1<=x<=4.", "不在范围 1<=x<=4 内"),
    (["new", "attention", "--level", "two"],
     "Invalid value for '--level': 'two' is not a valid integer range.", "'two' 不是整数"),
    (["new", "attention", "--seed"], "Option '--seed' requires an argument.", "后面要跟一个值"),
    (["check", "worked-1", "1", "2", "--scoring", "all"],
     "Invalid value for '--scoring': 'all' is not one of 'diagnosed', 'entries', 'part'.",
     "'all' 不可用；可选："),
    (["families", "attention", "causal"], "Got unexpected extra argument (causal)",
     "多余的参数：causal"),
    (["nosuch"], "No such command 'nosuch'.", "没有命令 'nosuch'"),
    (["worksheet", "problems"], "Invalid value for 'SPEC': File 'problems' is a directory.",
     "'problems' 是文件夹，不是文件"),
    (["grade"], "Missing argument 'SUBMISSIONS.csv'.", "缺少参数 'SUBMISSIONS.csv'"),
]


@pytest.mark.parametrize(("args", "english", "said"), CLICK_ERRORS)
def test_clicks_usage_errors_follow_the_language(args, english, said):
    en = run(args[0], "--lang", "en", *args[1:])
    assert en.exit_code == 2
    assert en.stderr.splitlines()[-1] == f"Error: {english}"
    if "requires an argument" not in english:  # click gives no usage line with that one
        assert en.stderr.startswith("Usage: handcalc") and "Try 'handcalc" in en.stderr
    for how in (["--lang", "zh"], []):  # the option, or HANDCALC_LANG
        zh = run(args[0], *how, *args[1:], env=None if how else {"HANDCALC_LANG": "zh"})
        assert zh.exit_code == 2, zh.output
        lines = zh.stderr.splitlines()
        assert lines[0].startswith("用法：handcalc") and "[选项]" in lines[0]
        assert lines[1].startswith("查看帮助：handcalc") and lines[1].endswith("--help")
        assert lines[-1].startswith("错误：") and said in lines[-1], lines[-1]
        chinese(zh.stderr)


def test_the_language_given_after_the_error_still_counts():
    """click finds an unknown option before any option's callback runs: --lang is read
    from the command line first, wherever it stands."""
    zh = run("new", "attention", "--bogus", "--lang=zh")
    assert zh.stderr.splitlines()[-1] == "错误：没有选项 '--bogus'。"
    assert run("--lang", "zh", "show", "worked-1").stderr.splitlines()[-1] == \
        "错误：没有选项 '--lang'。"  # the group has no --lang: said in the language asked


def test_help_headings_follow_the_language():
    zh = run("check", "--help", "--lang", "zh")
    assert zh.exit_code == 0
    assert zh.stdout.startswith("用法：handcalc check [选项] CODE PART ANSWER...")
    assert "\n选项：\n" in zh.stdout and "显示本帮助并退出。" in zh.stdout
    assert "[默认：diagnosed]" in zh.stdout
    assert "Usage:" not in zh.stdout and "Options:" not in zh.stdout
    top = run("--help", env={"HANDCALC_LANG": "zh"})
    assert top.stdout.startswith("用法：handcalc [选项] 命令 [参数]...")
    assert "\n命令：\n" in top.stdout and "显示版本号并退出。" in top.stdout
    for command in ("worksheet", "grade", "verify", "practice", "serve"):  # lazy commands
        out = run(command, "--help", "--lang", "zh").stdout
        assert out.startswith(f"用法：handcalc {command} [选项]") and "\n选项：\n" in out
    en = run("check", "--help", "--lang", "en").stdout
    assert en.startswith("Usage: handcalc check [OPTIONS] CODE PART ANSWER...")
    assert "\nOptions:\n" in en and "Show this message and exit." in en
    assert "[default: diagnosed]" in en


# ---------------------------------------------------------------- a spec that cannot be used

def spec_file(tmp_path, name: str, data: bytes | str):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return str(path)


def one_error(result, code: int = 2) -> str:
    assert result.exit_code == code, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("handcalc: ")
    return line


def test_whole_file_spec_errors_follow_the_language(tmp_path, monkeypatch):
    from handcalc.io import fileio

    monkeypatch.setattr(fileio, "MAX_SPEC_BYTES", 100)
    cases = [  # file, the English (after the file's name), the Chinese
        (spec_file(tmp_path, "a.toml", 'title = "x"\nseed 1\n'),
         "not valid TOML: Expected '=' after a key in a key/value pair (at line 2, column 6)",
         "第 2 行第 6 列不是有效的 TOML：键的后面缺少 ="),
        (spec_file(tmp_path, "b.toml", b'title = "\xff"\n'), "not UTF-8 text (byte 10)",
         "不是 UTF-8 文本（第 10 个字节）"),
        (spec_file(tmp_path, "c.toml", "#" * 150), "too large: 150 bytes, more than the 100 "
         "bytes allowed", "文件太大：150 字节，超过上限 100 字节"),
        (str(tmp_path / "none.toml"), "cannot read: No such file or directory",
         "无法读取：没有这个文件或文件夹"),
        ("/dev/null", "cannot read a character device; give a regular file",
         "无法读取字符设备；请给出普通文件"),
    ]
    for path, english, said in cases:
        out = tmp_path / "o.md"
        assert one_error(run("worksheet", path, "-o", str(out), "--lang", "en")) == \
            f"handcalc: {path}: {english}"
        for how, env in ((["--lang", "zh"], None), ([], {"HANDCALC_LANG": "zh"})):
            line = one_error(run("worksheet", path, "-o", str(out), *how, env=env))
            assert line == f"handcalc: {path}：{said}", line
            chinese(line.removeprefix(f"handcalc: {path}"))
        assert not out.exists()
    stdin = run("worksheet", "-", "-o", str(tmp_path / "o.md"), "--lang", "zh", input="x\n")
    assert one_error(stdin) == "handcalc: 标准输入：第 1 行第 2 列不是有效的 TOML：键的后面缺少 ="


GIVEN = '''title = "G"
{lang}
[[sections]]
family = "attention"
{body}
'''
GIVEN_ERRORS = [  # a section's body, the English, the Chinese
    ('level = 2\ngiven = { Q = [[1, 0]] }', "section 1: give either given data or level, "
     "not both", "第 1 部分：given 数据和 level 只能给一个"),
    ('exercises = [ { given = { Q = [[1, 0]] }, bogus = 1 } ]', "section 1, exercises[1]: "
     "unknown key 'bogus'; valid keys: given, params, parts",
     "第 1 部分，exercises[1]：没有键“bogus”；可用的键：given, params, parts"),
    ('exercises = [ { given = { Q = [[1, 0]], K = "1 2", V = [[1, 2], [3, 4]] } } ]',
     "section 1, exercises[1]: attention: V is 2 x 2, but must be n x d_v (n, from Q = 1)",
     "第 1 部分，exercises[1]：attention：V 的形状是 2 x 2，应为 n x d_v（n，由 Q 得出 = 1）"),
    ('exercises = []', "section 1, exercises: expected a non-empty list of tables "
     "{ given = {...}, params = {...} }",
     "第 1 部分，exercises：应为非空的表列表 { given = {...}, params = {...} }"),
    ('size = { n = 5 }\ncount = 99', "seed: a section with size draws its exercises from the "
     "spec's seed: give the spec a seed", None),
]


@pytest.mark.parametrize(("body", "english", "said"), GIVEN_ERRORS)
def test_given_data_spec_errors_follow_the_language(tmp_path, body, english, said):
    plain = spec_file(tmp_path, "g.toml", GIVEN.format(lang="", body=body))
    out = str(tmp_path / "o.md")
    line = one_error(run("worksheet", plain, "-o", out, "--lang", "en"))
    if said is None:  # the English of an older message: only its language is checked
        assert line.startswith(f"handcalc: {plain}: seed: ")
    else:
        assert line == f"handcalc: {plain}: {english}"
    zh = one_error(run("worksheet", plain, "-o", out, "--lang", "zh"))
    chinese(zh.removeprefix(f"handcalc: {plain}").replace("given, params, parts", ""))
    if said is not None:
        assert zh == f"handcalc: {plain}：{said}"
    # a spec in Chinese says its errors in Chinese, whatever the environment says
    own = spec_file(tmp_path, "z.toml", GIVEN.format(lang='lang = "zh"', body=body))
    assert one_error(run("worksheet", own, "-o", out, env={"HANDCALC_LANG": "en"})) == \
        zh.replace(plain, own)
    # ... unless an option chose the language
    assert one_error(run("worksheet", own, "-o", out, "--lang", "en")) == line.replace(
        plain, own)


def test_given_data_warnings_follow_the_language_of_the_sheet(tmp_path):
    body = 'given = { q = "0.125", k = "1", v = "1" }\nparts = ["s"]'
    english = ("section 1: note: part 1's exact answer lies within 0.0005 of a rounding "
               "boundary; its 2-decimal answer is fragile")
    said = "第 1 部分：注意：第 1 小题的精确答案距舍入边界不到 0.0005；其两位小数答案很脆弱"
    zh_spec = spec_file(tmp_path, "z.toml", GIVEN.format(lang='lang = "zh"', body=body)
                        .replace('"attention"', '"score"'))
    en_spec = spec_file(tmp_path, "e.toml", GIVEN.format(lang='lang = "en"', body=body)
                        .replace('"attention"', '"score"'))
    out = str(tmp_path / "o.md")
    for spec, env, how, want in (
            (zh_spec, {"HANDCALC_LANG": "en"}, [], f"{zh_spec}：{said}"),
            (zh_spec, {"HANDCALC_LANG": "zh"}, ["--lang", "en"], f"{zh_spec}: {english}"),
            (en_spec, {"HANDCALC_LANG": "zh"}, [], f"{en_spec}: {english}"),
            (en_spec, {"HANDCALC_LANG": "en"}, ["--lang", "zh"], f"{en_spec}：{said}")):
        r = run("worksheet", spec, "-o", out, *how, env=env)
        assert r.exit_code == 0, r.output
        assert r.stderr.splitlines()[0] == want
    grade = run("grade", spec_file(tmp_path, "s.csv", "learner,code,part,answer\n"),
                "--spec", zh_spec, "--lang", "en")
    assert grade.stderr.splitlines()[0] == f"{zh_spec}: {english}"


# ---------------------------------------------------------------- class grading's refusals

CSV = "learner,code,part,answer\nann,worked-1,1,3\n"


def both(args, english: str, said: str, code: int = 2, env_zh: bool = True,
         words: bool = True) -> None:
    """`handcalc grade ARGS` refused with one line: `english` under --lang en, `said` (a
    Chinese line) under --lang zh and under HANDCALC_LANG=zh (`words`: it holds no
    English sentence)."""
    assert one_error(run("grade", *args, "--lang", "en"), code) == f"handcalc: {english}"
    runs = [run("grade", *args, "--lang", "zh")]
    if env_zh:
        runs.append(run("grade", *args, env={"HANDCALC_LANG": "zh"}))
    for r in runs:
        line = one_error(r, code)
        assert line == f"handcalc: {said}", line
        if words:
            chinese(line)


def test_class_grading_refuses_in_the_teachers_language(tmp_path):
    subs = spec_file(tmp_path, "s.csv", CSV)
    both([subs, "--encoding", "punycode"], "--encoding punycode: not the encoding of a text "
         "file; give a name such as utf-8, gb18030 (covers GBK), big5, shift_jis, latin-1",
         "--encoding punycode：不是文本文件的编码；请给出编码名，例如 utf-8、gb18030（包括 GBK）、"
         "big5、shift_jis、latin-1")
    both([subs, "--encoding", "nope"], "unknown encoding 'nope': give a name such as utf-8, "
         "gb18030 (covers GBK), big5, shift_jis, latin-1",
         "没有编码“nope”：请给出编码名，例如 utf-8、gb18030（包括 GBK）、big5、shift_jis、latin-1")
    empty = spec_file(tmp_path, "e.csv", "")
    both([empty], f"{empty}: no header: the file is empty; the first line must be "
         "learner,code,part,answer",
         f"{empty}：没有表头：文件是空的；第一行应为 learner,code,part,answer")
    wrong = spec_file(tmp_path, "w.csv", "a,b\n1,2\n")
    both([wrong], f"{wrong}: line 1: no header: expected learner,code,part,answer (in any "
         "order, separated by , or ; or a tab), got 'a,b'",
         f"{wrong}：第 1 行：没有表头：应为 learner,code,part,answer（顺序不限，用 , 或 ; 或"
         "制表符分隔），实际是“a,b”")
    both([subs, "--json", "--format", "csv"], "--json and --format csv disagree",
         "--json 和 --format csv 互相矛盾")
    both([subs, "--format", "pdf"], "a PDF report needs a file: -o REPORT.pdf",
         "PDF 报告要写到文件：-o REPORT.pdf")
    both([subs, "--versions", "2"], "--versions needs --spec", "--versions 要和 --spec 一起用")
    both([subs, "-o", subs], "the report would overwrite the submissions file",
         "报告会覆盖学生答案文件")
    both([subs, "-o", "r.txt"], "cannot tell the report format from 'r.txt': use a .csv, "
         ".json, .md or .pdf name, or --format csv|json|md|pdf",
         "从“r.txt”看不出报告格式：请用 .csv、.json、.md 或 .pdf 文件名，或加 --format "
         "csv|json|md|pdf")
    both([subs, "--feedback", "f.txt"], "--feedback f.txt: use a .pdf or .md name",
         "--feedback f.txt：请用 .pdf 或 .md 文件名")


def test_a_wrong_assignment_is_refused_in_the_specs_language(tmp_path):
    subs = spec_file(tmp_path, "s.csv", CSV)
    spec = spec_file(tmp_path, "x.toml", 'title = "X"\nlang = "zh"\nseed = 3\n[[sections]]\n'
                                          'family = "causal"\nlevel = 1\n')
    english = (f"{subs}: 1 of 1 rows name no exercise of the assignment ({spec}): check the "
               "spec, --versions, and whether the spec changed (another seed) since the "
               "sheets were printed; nothing was written")
    said = (f"{subs}：1 行中有 1 行写的不是这次作业（{spec}）的题：请检查规格文件、--versions，以及"
            "打印练习卷之后规格文件有没有改过（换了 seed）；什么也没有写入")
    both([subs, "--spec", spec], english, said)
    # no option, no HANDCALC_LANG: the spec's lang = "zh" decides
    line = one_error(run("grade", subs, "--spec", spec, env={"HANDCALC_LANG": "en"}))
    assert line == f"handcalc: {said}"


def test_too_many_learners_for_a_pdf_in_the_teachers_language(tmp_path, monkeypatch):
    from handcalc.classgrade import report_pdf

    monkeypatch.setattr(report_pdf, "MAX_PDF_LEARNERS", 2)
    subs = spec_file(tmp_path, "s.csv", "learner,code,part,answer\n" + "".join(
        f"l{i},worked-1,1,1\n" for i in range(3)))
    pdf = str(tmp_path / "r.pdf")
    both([subs, "-o", pdf], f"-o {pdf}: 3 learners, more than the 2 a PDF report holds "
         "(typesetting takes about 130 KB of memory per learner); write .csv, .md or .json, "
         "or grade fewer learners at a time; nothing was written",
         f"-o {pdf}：3 名学生，超过一份 PDF 报告能容纳的 2 名（排版时每名学生约占 130 KB 内存）；"
         "请改写 .csv、.md 或 .json，或分批评分；什么也没有写入")


def test_a_file_that_cannot_be_decoded_in_the_teachers_language(tmp_path, monkeypatch):
    from handcalc.classgrade import read

    monkeypatch.setattr(read, "_MARK", "strict")  # the codec's own failure, as some have
    data = CSV.encode() + b"bob,worked-1,1,\xff\n"
    subs = spec_file(tmp_path, "s.csv", data)
    at = data.index(b"\xff")
    why = f"'utf-8' codec can't decode byte 0xff in position {at}: invalid start byte"
    both([subs], f"cannot read the file as UTF-8: {why}; check --encoding",
         f"无法按 UTF-8 读取文件：{why}；请检查 --encoding", words=False)


def test_a_row_that_is_not_csv_is_listed_in_the_teachers_language(tmp_path):
    subs = spec_file(tmp_path, "s.csv", CSV + 'bob,"x"y,1,1\n')
    en = run("grade", subs, "--lang", "en")
    zh = run("grade", subs, "--lang", "zh")
    assert en.exit_code == zh.exit_code == 0
    assert f"{subs}:3: malformed CSV: " in en.stderr
    (line,) = [x for x in zh.stderr.splitlines() if x.startswith(f"{subs}:3: ")]
    assert line.startswith(f"{subs}:3: CSV 格式错误：")


def test_the_worksheets_option_errors_follow_the_language(tmp_path):
    spec = spec_file(tmp_path, "w.toml", 'title = "W"\n[[sections]]\ncodes = ["worked-1"]\n')
    a, k = str(tmp_path / "a.md"), str(tmp_path / "k.xml")
    cases = [
        (["-o", a, "--format", "pdf"], f"-o {a}: the suffix says md but --format is pdf",
         f"-o {a}：后缀表示 md，但 --format 是 pdf"),
        (["-o", a, "--key-style", "answers"], "--key-style answers: there is no key to "
         "write; give --key", "--key-style answers：没有要写的参考答案；请加 --key"),
        (["-o", str(tmp_path / "a.xml"), "--key", k], f"--key {k}: a Moodle quiz holds its "
         "answer key as feedback; write it alone with -o",
         f"--key {k}：Moodle 题库把参考答案放在反馈里；请只用 -o 写出"),
        (["-o", a, "--key", a], f"--key {a}: the same file as the sheet; choose another "
         "name", f"--key {a}：和练习卷是同一个文件；请换一个文件名"),
        (["-o", spec, "--format", "md"], f"cannot write {spec}: that is the spec itself",
         f"无法写入 {spec}：这就是规格文件本身"),
    ]
    for args, english, said in cases:
        assert one_error(run("worksheet", spec, *args, "--lang", "en")) == \
            f"handcalc: {english}"
        line = one_error(run("worksheet", spec, *args, env={"HANDCALC_LANG": "zh"}))
        assert line == f"handcalc: {said}"
        chinese(line)
