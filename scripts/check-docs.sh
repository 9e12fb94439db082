#!/usr/bin/env bash
# Checks that README.md and docs/**/*.md name nothing stale (docs/development.md describes it):
#   - every command they name is one of the binary's, every --option they give one of our commands
#     is in that command's --help (options of other tools are told apart by the command named
#     before them on the line, else by the section's heading; see OTHER_TOOLS and ALLOWED below);
#   - every CLOUD_WAL_* / WALE_* variable appears in Sources/**/*.swift;
#   - every relative link and every repository path in backticks points to an existing file.
# One line per problem; exit 1 if any.
#   scripts/check-docs.sh            (binary: $CLOUD_WAL_BIN, else .build/shipped/cloud-wal)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${CLOUD_WAL_BIN:-$repo/.build/shipped/cloud-wal}"
[[ -x "$bin" ]] || { echo "check-docs: $bin is not an executable; build it or set CLOUD_WAL_BIN" >&2; exit 1; }

exec python3 - "$repo" "$bin" <<'PY'
import glob, os, re, subprocess, sys

repo, binary = sys.argv[1], sys.argv[2]
os.chdir(repo)

# Words that start another tool's command line or sentence: options after them are not ours.
OTHER_TOOLS = {
    "curl", "wget", "pg_ctl", "pg_basebackup", "pgbackrest", "pgbench", "psql", "initdb", "postgres",
    "barman-cloud", "barman", "swift", "hyperfine", "docker", "setpriv", "systemctl", "install",
    "ln", "moto_server", "weed", "git", "python3", "pip", "apt-get", "tar", "az", "gcloud", "aws",
    "WAL-G", "wal-g", "WAL-E", "wal-e", "pgBackRest", "libFuzzer", "pghoard", "pg_rewind",
}
# Options no command line of ours has but the docs may name outside any tool's context.
ALLOWED = {
    "--static-swift-stdlib", "--scratch-path", "--disable-xctest", "--header",  # swift build/test, wget
}
# Names that look like links to our binary but are not commands (benchmark labels, file names).
NOT_COMMANDS = {"cloud-wal-file", "cloud-wal-sidecar", "cloud-wal-sidecar-file", "cloud-wal-tmp",
                "cloud-wal-keyring"}  # the keyring file's first line
# Paths the docs name that scripts create at run time and that are not in .gitignore.
GENERATED = {"bench/.venv"}
# Development variables: they live in the tests and scripts, not in Sources/.
DEV_VARIABLES = {"CLOUD_WAL_BIN", "CLOUD_WAL_FUZZ_SECONDS", "CLOUD_WAL_FAULT_MATRIX"}

problems = []
def problem(path, line, text):
    problems.append(f"{path}:{line}: {text}")

# --- What the binary offers ---------------------------------------------------------------------
def run_help(*args):
    out = subprocess.run([binary, *args], capture_output=True, text=True)
    return out.stdout + out.stderr

top = run_help("--help")
commands = []
in_sub = False
for line in top.splitlines():
    if line.startswith("SUBCOMMANDS:"):
        in_sub = True
        continue
    if in_sub:
        m = re.match(r"^  ([a-z][a-z0-9-]*)\s", line + " ")
        if m:
            commands.append(m.group(1))
        elif line and not line.startswith(" "):
            in_sub = False
if not commands:
    print(f"check-docs: no subcommands in `{binary} --help`", file=sys.stderr)
    sys.exit(1)

def options_of(help_text):
    """Long and short options from the option-name column of ArgumentParser's help."""
    longs, shorts = set(), set()
    for line in help_text.splitlines():
        if not re.match(r"^  -", line):
            continue
        names = re.split(r"\s{2,}", line.strip())[0]
        longs.update(re.findall(r"--[a-z0-9][a-z0-9-]*", names))
        shorts.update(re.findall(r"(?<![\w-])-[A-Za-z](?![\w-])", names))
    return longs, shorts

help_options = {}
for command in commands:
    longs, shorts = options_of(run_help("help", command))
    # -V/--version is handled before parsing (main.swift), for every command and link name.
    version = subprocess.run([binary, command, "--version"], capture_output=True, text=True)
    if version.returncode == 0 and version.stdout.strip():
        longs.add("--version"); shorts.add("-V")
    help_options[command] = (longs, shorts)
all_long = set().union(*(l for l, _ in help_options.values()))

# --- The documents ------------------------------------------------------------------------------
docs = ["README.md"] + sorted(glob.glob("docs/**/*.md", recursive=True))
tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True).stdout.split()
tracked += [p for p in glob.glob("**/*", recursive=True) if os.path.isfile(p)]
tracked = sorted(set(tracked))

SUB = "|".join(sorted(map(re.escape, commands), key=len, reverse=True))
# Our command at a position: `cloud-wal <command>`, or a link `cloud-<command>` / `barman-cloud-<command>`.
OUR = re.compile(rf"(?<![\w/.-])cloud-wal\s+({SUB}|help)(?![\w-])|(?<![\w/.-])(?:barman-)?cloud-([a-z][a-z0-9-]*[a-z0-9])(?![\w-])")
BARE = re.compile(rf"`({SUB})`")  # a bare subcommand name in prose, in backticks
OTHER = re.compile(r"(?<![\w/.-])(" + "|".join(sorted(map(re.escape, OTHER_TOOLS), key=len, reverse=True)) + r")(?![\w-])")
SCRIPT = re.compile(r"(?<![\w/.-])((?:scripts|bench)/[\w.-]+\.(?:sh|py))")
LONG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
SHORT = re.compile(r"(?:(?<=\s)|(?<=\[))-[A-Za-z](?=[\s\]/,]|$)")

def link_command(name):
    """The command a cloud-* / barman-cloud-* name stands for, or None when it is none."""
    return name if name in commands else None

def contexts(text, prose):
    """(position, kind, value) of every command-ish word in text: kind is ours/other/script."""
    found = []
    for m in OUR.finditer(text):
        whole = m.group(0)
        if m.group(1):
            found.append((m.start(), "ours", None if m.group(1) == "help" else m.group(1), whole))
        else:
            name = m.group(2)
            if whole in NOT_COMMANDS or name == "wal":  # `cloud-wal` alone: the binary
                found.append((m.start(), "ours", None, whole))
            else:
                found.append((m.start(), "ours" if link_command(name) else "unknown", name, whole))
    for m in OTHER.finditer(text):
        # `barman-cloud-<command>` is matched above; here only barman-cloud itself.
        if text[m.end():m.end() + 1] == "-":
            continue
        found.append((m.start(), "other", m.group(1), m.group(0)))
    for m in SCRIPT.finditer(text):
        found.append((m.start(), "script", m.group(1), m.group(0)))
    if prose:
        for m in BARE.finditer(text):
            found.append((m.start(), "ours", m.group(1), m.group(0)))
    return sorted(found)

def check_option(path, lineno, option, ctx, section, is_short=False):
    kind, value = (ctx[1], ctx[2]) if ctx else ("none", None)
    if kind in ("other", "unknown"):
        return
    if kind == "script":
        if os.path.isfile(value):
            if option not in open(value, encoding="utf-8", errors="replace").read():
                problem(path, lineno, f"{option} is not an option of {value}")
        return
    if is_short and (kind != "ours" or value is None):
        return  # short options are checked only right after one of our commands
    if kind == "none" and section and all(c[1] == "script" for c in section):
        ctx = section[-1]
        return check_option(path, lineno, option, ctx, None, is_short)
    if kind == "ours" and value is not None:
        targets = [value]
    elif section and any(c[1] == "ours" and c[2] for c in section):
        targets = sorted({c[2] for c in section if c[1] == "ours" and c[2]})
    else:
        targets = None
    if option in ALLOWED:
        return
    if targets is None:
        if option not in all_long:
            problem(path, lineno, f"{option} is not an option of any cloud-wal command")
        return
    pool = set()
    for t in targets:
        longs, shorts = help_options[t]
        pool |= shorts if is_short else longs
    if option not in pool:
        problem(path, lineno, f"{option} is not in `cloud-wal {' / '.join(targets)} --help`")

def options_for(ctx):
    """The long options a context offers: a command's --help, a script's text, or None (other tool)."""
    kind, value = ctx[1], ctx[2]
    if kind == "ours":
        return help_options[value][0] if value else all_long
    if kind == "script":
        return ScriptText(value) if os.path.isfile(value) else set()
    return None

class ScriptText:
    def __init__(self, path):
        self.text = open(path, encoding="utf-8", errors="replace").read()
    def __contains__(self, option):
        return option in self.text

def check_prose_option(path, lineno, option, before, section):
    """In prose an option may belong to any command or script named earlier in its sentence, or
    to the section heading's; after another tool's name (and none of ours offering it) it is
    that tool's."""
    if option in ALLOWED:
        return
    candidates = [c for c in before + (section or []) if c[1] in ("ours", "script")]
    if any(option in options_for(c) for c in candidates):
        return
    if any(c[1] == "other" for c in before):
        return
    ours = [c for c in candidates if c[1] == "ours"]
    if not ours:
        if option not in all_long:
            scripts = [c[2] for c in candidates if c[1] == "script"]
            where = f"of {' / '.join(scripts)} or " if scripts else ""
            problem(path, lineno, f"{option} is not an option {where}of any cloud-wal command")
        return
    names = sorted({c[2] or "(any)" for c in ours})
    problem(path, lineno, f"{option} is not in `cloud-wal {' / '.join(names)} --help`")

def slug(heading):
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")

anchors = {}
for path in docs:
    seen = {}
    result = set()
    in_code = False
    for line in open(path, encoding="utf-8"):
        if line.startswith("```"):
            in_code = not in_code
            continue
        m = re.match(r"^#{1,6}\s+(.*)", line)
        if m and not in_code:
            base = slug(m.group(1))
            n = seen.get(base, 0)
            result.add(base if n == 0 else f"{base}-{n}")
            seen[base] = n + 1
    anchors[os.path.normpath(path)] = result

VARIABLE = re.compile(r"(?<![A-Z0-9_])((?:CLOUD_WAL|WALE)_[A-Z0-9_]*[A-Z0-9])(?![A-Z0-9_])")
sources_text = "\n".join(open(p, encoding="utf-8").read() for p in glob.glob("Sources/**/*.swift", recursive=True))
dev_text = "\n".join(
    open(p, encoding="utf-8", errors="replace").read()
    for d in ("Tests", "scripts", "bench")
    for p in glob.glob(f"{d}/**/*", recursive=True)
    if os.path.isfile(p) and not p.startswith("Tests/Fuzz/corpus") and p != "scripts/check-docs.sh")
serve_longs = help_options.get("serve", (set(), set()))[0]

def check_variable(path, lineno, name):
    if name in DEV_VARIABLES:
        if not re.search(rf"\b{name}\b", dev_text):
            problem(path, lineno, f"{name} appears nowhere in Tests/, scripts/ or bench/")
        return
    if re.search(rf"\b{name}\b", sources_text):
        return
    # CLOUD_WAL_<OPTION>: the sidecar derives these from its option table.
    if name.startswith("CLOUD_WAL_"):
        option = "--" + name[len("CLOUD_WAL_"):].lower().replace("_", "-")
        if option in serve_longs and f'"{option[2:]}"' in sources_text:
            return
    problem(path, lineno, f"{name} appears nowhere in Sources/**/*.swift")

LINK = re.compile(r"(?<!\!)\[[^\]]*\]\(([^)\s]+)\)")
PATH_IN_TICKS = re.compile(r"`((?:Sources|Tests|scripts|bench|deploy|docs|\.ci)/[^`\s]*)`")
FILE_IN_TICKS = re.compile(r"`([\w./*+-]+\.(?:swift|py|sh))`")

def ignored_by_git(p):
    """Generated paths (bench/results/, a venv) are named in the docs but never committed."""
    return subprocess.run(["git", "check-ignore", "-q", "--no-index", p]).returncode == 0

def check_links(path, lineno, text):
    here = os.path.dirname(path)
    for m in LINK.finditer(text):
        target = m.group(1)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue  # absolute URL
        file_part, _, anchor = target.partition("#")
        resolved = os.path.normpath(os.path.join(here, file_part)) if file_part else os.path.normpath(path)
        if os.path.relpath(os.path.abspath(resolved), repo).startswith(".."):
            problem(path, lineno, f"link {target} points outside the repository")
            continue
        if not os.path.exists(resolved):
            problem(path, lineno, f"link {target}: {resolved} does not exist")
            continue
        if anchor and resolved.endswith(".md") and anchor not in anchors.get(resolved, set()):
            problem(path, lineno, f"link {target}: no heading #{anchor} in {resolved}")
    for m in PATH_IN_TICKS.finditer(text):
        p = m.group(1).rstrip(".,;:")
        if not (glob.glob(p) or os.path.exists(p)) and not ignored_by_git(p) and p.rstrip("/") not in GENERATED:
            problem(path, lineno, f"`{p}` does not exist in the repository")
    for m in FILE_IN_TICKS.finditer(text):
        name = m.group(1)
        if PATH_IN_TICKS.fullmatch("`" + name + "`"):
            continue
        pattern = re.compile("(^|/)" + re.escape(name).replace(r"\*", "[^/]*") + "$")
        if not any(pattern.search(t) for t in tracked):
            problem(path, lineno, f"`{name}` matches no file in the repository")
    if re.search(r"shared/DESIGN\.md|\.\./shared/", text):
        problem(path, lineno, "refers to a file outside the repository")

def blocks(lines):
    """(first line number, text, in_code) units: a code line with its continuations, or a prose
    paragraph or list item, its lines joined with spaces, so a sentence may span lines."""
    in_code = False
    prose, prose_start = [], 0
    def flush():
        nonlocal prose
        if prose:
            yield prose_start, " ".join(prose), False, None
        prose = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            yield from flush()
            in_code = not in_code
            i += 1
            continue
        if in_code:
            start, text = i + 1, line
            while text.endswith("\\") and i + 1 < len(lines):
                i += 1
                text = text[:-1] + " " + lines[i]
            yield start, text, True, None
        else:
            heading = re.match(r"^#{1,6}\s+(.*)", line)
            if not line.strip() or heading or re.match(r"^\s*([-*|]|\d+\.)\s", line) or line.startswith("|"):
                yield from flush()
            if heading:
                yield i + 1, line, False, heading.group(1)
            elif line.strip():
                if not prose:
                    prose_start = i + 1
                prose.append(line.strip())
        i += 1
    yield from flush()

for path in docs:
    lines = open(path, encoding="utf-8").read().split("\n")
    section = None          # what the current heading names: our commands, or a script
    for lineno, text, in_code, heading in blocks(lines):
        if heading is not None:
            named = [c for c in contexts(heading, prose=True) if c[1] in ("ours", "script") and c[2]]
            section = named or None
        check_links(path, lineno, text)
        for v in VARIABLE.finditer(text):
            check_variable(path, lineno, v.group(1))
        ctxs = contexts(text, prose=not in_code)
        for c in ctxs:
            if c[1] == "unknown" and c[3] not in NOT_COMMANDS:
                problem(path, lineno, f"{c[3]}: no such cloud-wal command")
        # `cloud-wal <word>` in code (a code block or a backtick span) names a command.
        for span in ([text] if in_code else re.findall(r"`([^`]+)`", text)):
            for m in re.finditer(r"(?<![\w/.-])cloud-wal\s+([a-z][a-z0-9-]*)(?![\w:/.-])", span):
                if m.group(1) not in commands and m.group(1) != "help":
                    problem(path, lineno, f"cloud-wal {m.group(1)}: no such cloud-wal command")
        # In prose a sentence is the unit; in code a shell segment (`|`, `;`, `&&`).
        bounds = r"(?<=[.;!?])\s+(?=[A-Z`*(])" if not in_code else r"\|\||&&|[|;]"
        starts = [0] + [m.end() for m in re.finditer(bounds, text)]
        def ctx_for(pos):
            start = max(s for s in starts if s <= pos)
            before = [c for c in ctxs if start <= c[0] < pos]
            return before[-1] if before else None
        for m in LONG.finditer(text):
            if in_code:
                check_option(path, lineno, m.group(0), ctx_for(m.start()), None)
            else:
                start = max(s for s in starts if s <= m.start())
                check_prose_option(path, lineno, m.group(0), [c for c in ctxs if start <= c[0] < m.start()], section)
        if in_code:
            for m in SHORT.finditer(text):
                check_option(path, lineno, m.group(0), ctx_for(m.start()), None, is_short=True)

for p in problems:
    print(p)
sys.stdout.flush()
if problems:
    print(f"check-docs: {len(problems)} problem(s)", file=sys.stderr)
    sys.exit(1)
print(f"check-docs: OK ({len(docs)} files, {len(commands)} commands)", file=sys.stderr)
PY
