#!/usr/bin/env python3
"""One program's documentation (issue 15): --version prints 'NAME (pcapd) VERSION'; --help exits 0 and fits
80 columns; its man page renders without a single groff warning; every long option and PCAPD_ variable
--help prints is in the page, and every option the page's OPTIONS section lists is in --help.

check-docs.py --version-expected V [--program EXE] [--page PAGE]   (a page alone: the groff check only)
"""
import argparse, os, re, shutil, subprocess, sys

OPTION = re.compile(r'(?<![\w-])--[a-z][a-z0-9-]*[a-z0-9]')
VARIABLE = re.compile(r'\bPCAPD_[A-Z0-9_]+\b')
failures = []


def check(ok, what, detail=''):
    print('%s %s%s' % ('ok  ' if ok else 'FAIL', what, ('\n     ' + detail) if detail and not ok else ''))
    if not ok:
        failures.append(what)


def run(argv, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def render(page, width):
    """The page as plain ASCII text, MANWIDTH columns wide; groff's stderr (its warnings)."""
    env = dict(os.environ, LC_ALL='C', MANWIDTH=str(width), MANPAGER='cat', PAGER='cat')
    env.pop('MAN_KEEP_FORMATTING', None)
    p = run(['man', '--warnings', '-l', page], env=env)
    return re.sub(r'.\x08', '', p.stdout), p.stderr, p.returncode


def section(text, name):
    """The lines of one top-level section (headings are flush left, in capitals)."""
    out, inside = [], False
    for line in text.splitlines():
        if re.fullmatch(r'[A-Z][A-Z ]*', line):
            inside = line == name
            continue
        if inside:
            out.append(line)
    return '\n'.join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--program')
    ap.add_argument('--page')
    ap.add_argument('--version-expected', required=True)
    a = ap.parse_args()

    help_text = None
    if a.program:
        name = os.path.basename(a.program)
        p = run([a.program, '--version'])
        want = '%s (pcapd) %s\n' % (name, a.version_expected)
        check(p.returncode == 0 and p.stdout == want and p.stderr == '', '%s --version prints %r' % (name, want),
              'exit %d, stdout %r, stderr %r' % (p.returncode, p.stdout, p.stderr))
        p = run([a.program, '--help'])
        check(p.returncode == 0 and p.stderr == '', '%s --help exits 0, nothing on stderr' % name,
              'exit %d, stderr %r' % (p.returncode, p.stderr))
        wide = [l for l in p.stdout.splitlines() if len(l.expandtabs()) > 80]
        check(not wide, '%s --help fits 80 columns' % name, '\n     '.join(wide))
        check(all(ch.isascii() for ch in p.stdout), '%s --help is ASCII' % name)
        help_text = p.stdout

    if not a.page:
        return
    if not shutil.which('man') or not shutil.which('groff'):
        print('SKIP: man (man-db) or groff (groff-base) is not installed')
        sys.exit(77)
    page = os.path.basename(a.page)
    text, warnings, rc = render(a.page, 80)
    check(rc == 0 and warnings == '', '%s: man --warnings is clean' % page, warnings.strip())
    check(re.search(r'^NAME$', text, re.M) is not None and re.search(r'^DESCRIPTION$', text, re.M) is not None,
          '%s has NAME and DESCRIPTION' % page)
    if help_text is None:
        return
    # Wide enough that groff breaks no option or variable name across lines.
    text, _, _ = render(a.page, 500)
    in_page = set(OPTION.findall(text))
    missing = sorted(set(OPTION.findall(help_text)) - in_page)
    check(not missing, '%s: every option of --help is in the page' % page, ' '.join(missing))
    missing = sorted(set(VARIABLE.findall(help_text)) - set(VARIABLE.findall(text)))
    check(not missing, '%s: every PCAPD_ variable of --help is in the page' % page, ' '.join(missing))
    listed = set(OPTION.findall(section(text, 'OPTIONS')))
    check(listed, '%s has an OPTIONS section' % page)
    extra = sorted(listed - set(OPTION.findall(help_text)))
    check(not extra, '%s: every option the page lists is in --help' % page, ' '.join(extra))


main()
if failures:
    print('%d check(s) failed' % len(failures))
    sys.exit(1)
