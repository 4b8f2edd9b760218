#!/usr/bin/env bash
# make-sample-data.sh DATA_DIR: builds jaforge's real test data from Debian packages.
#
# Produces under DATA_DIR:
#   debs/            the .deb files (cache; `apt-get download`, network only when missing)
#   pkgs/<package>/  `dpkg -x` of each package
#   site/            a flat static web site of real Japanese / English / Chinese pages, original
#                    UTF-8 and EUC-JP pages plus Shift_JIS / EUC-JP / ISO-2022-JP re-encodings
#                    (with and without <meta charset>), site/index.html linking every page and
#                    site/MANIFEST.tsv describing each page
#   warc/            wget's crawl of site/ over loopback: sample.warc.gz (one gzip member per
#                    record), sample.warc (plain), sample-whole.warc.gz (whole-file gzip),
#                    sample.warc.zst (zstd -19)
#   warcio/          what the npm warcio peer reads from each WARC (see tests/peers/)
#   tutor/           vim's Japanese tutor in Shift_JIS, EUC-JP and UTF-8 (exact twins)
#   .stamp           written last; a rerun with the same script does nothing but the summary
#
# Does not install anything system-wide (scripts/install-deps.sh does); runs `apt-get update`
# only when a download fails. Needs: apt-get, dpkg, /usr/bin/python3, wget, gzip, zstd, node.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 DATA_DIR" >&2
    exit 2
fi
mkdir -p "$1"
DATA_DIR=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")/.." && pwd)
PEERS="$HERE/tests/peers"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# Packages: required ones fail the run when missing; optional ones are skipped with a note.
REQUIRED_PKGS=(
    debian-reference-ja maint-guide-ja developers-reference-ja gimp-help-ja
    debian-reference-en maint-guide developers-reference
    namazu2-common edict kanjidic vim-runtime debian-reference-zh-cn
)
OPTIONAL_PKGS=()

log() { echo "make-sample-data: $*" >&2; }
die() { log "error: $*"; exit 1; }

# The stamp names this script and the peer script: changing either rebuilds the outputs.
stamp_value() {
    cat "$0" "$PEERS/warcio-index.mjs" | sha256sum | cut -d' ' -f1
}

print_summary() {
    local d=$DATA_DIR
    echo "== jaforge sample data in $d"
    echo "-- pages in site/ by language and encoding (lang encoding meta count):"
    awk -F'\t' '!/^#/ { n[$2 " " $4 " meta=" $5]++ } END { for (k in n) print "   " k, n[k] }' \
        "$d/site/MANIFEST.tsv" | sort
    echo "   total: $(grep -vc '^#' "$d/site/MANIFEST.tsv") pages"
    echo "-- WARC files:"
    local f
    for f in "$d"/warc/*; do
        local name recs
        name=$(basename "$f")
        recs=$(wc -l < "$d/warcio/$name.records.jsonl")
        printf '   %-22s %10d bytes  %4d records (warcio)\n' "$name" "$(stat -c %s "$f")" "$recs"
    done
    echo "-- record types in sample.warc.gz:"
    sed -n 's/.*"warc-type":"\([a-z]*\)".*/\1/p' "$d/warcio/sample.warc.gz.records.jsonl" \
        | sort | uniq -c | sed 's/^/   /'
    echo "-- packages:" "$(cd "$d/pkgs" && echo *)"
    echo "-- tutor:" "$(cd "$d/tutor" && echo *)"
}

if [ -f "$DATA_DIR/.stamp" ] && [ "$(cat "$DATA_DIR/.stamp")" = "$(stamp_value)" ] &&
   [ -f "$DATA_DIR/site/MANIFEST.tsv" ] && [ -f "$DATA_DIR/warc/sample.warc.zst" ] &&
   [ -f "$DATA_DIR/warcio/sample.warc.gz.records.jsonl" ] && [ -f "$DATA_DIR/tutor/tutor.ja.utf-8" ]
then
    print_summary
    exit 0
fi
rm -f "$DATA_DIR/.stamp"

# ---------------------------------------------------------------- 1. download and extract
mkdir -p "$DATA_DIR/debs" "$DATA_DIR/pkgs"

# Newest cached .deb of a package, or nothing.
cached_deb() {
    find "$DATA_DIR/debs" -maxdepth 1 -name "$1_*.deb" | sort -V | tail -n 1
}

apt_download() {
    local opts=()
    # As root, apt's _apt sandbox user cannot write into DATA_DIR: say so instead of warning.
    [ "$(id -u)" -eq 0 ] && opts=(-o APT::Sandbox::User=root)
    (cd "$DATA_DIR/debs" && apt-get -qq "${opts[@]}" download "$@")
}

apt_update() {
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq
    else
        sudo -n apt-get update -qq || die "apt-get update needs root (run as root or sudo)"
    fi
}

fetch_packages() {
    local missing=() p
    for p in "${REQUIRED_PKGS[@]}"; do
        [ -n "$(cached_deb "$p")" ] || missing+=("$p")
    done
    for p in "${OPTIONAL_PKGS[@]}"; do
        [ -n "$(cached_deb "$p")" ] && continue
        if apt-cache show "$p" >/dev/null 2>&1; then
            missing+=("$p")
        else
            log "note: optional package $p does not exist here; skipped"
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "downloading ${missing[*]}"
    if ! apt_download "${missing[@]}"; then
        log "download failed; running apt-get update and retrying"
        apt_update
        apt_download "${missing[@]}" || die "apt-get download ${missing[*]} failed"
    fi
}

# pkgs/<p>/ is rebuilt only when its .deb changed (pkgs/.<p>.from names the .deb used).
extract_packages() {
    local p deb
    for p in "${REQUIRED_PKGS[@]}" "${OPTIONAL_PKGS[@]}"; do
        deb=$(cached_deb "$p")
        if [ -z "$deb" ]; then
            [[ " ${OPTIONAL_PKGS[*]} " == *" $p "* ]] && continue
            die "no .deb for $p"
        fi
        if [ -d "$DATA_DIR/pkgs/$p" ] && [ "$(cat "$DATA_DIR/pkgs/.$p.from" 2>/dev/null)" = \
             "$(basename "$deb")" ]; then
            continue
        fi
        rm -rf "$DATA_DIR/pkgs/$p" "$DATA_DIR/pkgs/$p.tmp"
        dpkg -x "$deb" "$DATA_DIR/pkgs/$p.tmp"
        mv "$DATA_DIR/pkgs/$p.tmp" "$DATA_DIR/pkgs/$p"
        basename "$deb" > "$DATA_DIR/pkgs/.$p.from"
    done
}

fetch_packages
extract_packages

# Outputs are built beside their final place and swapped in, so readers never see half a dir.
WORK=$(mktemp -d "$DATA_DIR/.work.XXXXXX")
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

swap_in() {
    rm -rf "$DATA_DIR/$1.old"
    [ -e "$DATA_DIR/$1" ] && mv "$DATA_DIR/$1" "$DATA_DIR/$1.old"
    mv "$WORK/$1" "$DATA_DIR/$1"
    rm -rf "$DATA_DIR/$1.old"
}

# ---------------------------------------------------------------- 2. site
build_site() {
    "$PY" - "$DATA_DIR/pkgs" "$WORK/site" <<'PYEOF'
"""Builds the flat crawlable site, its index.html and MANIFEST.tsv from the extracted packages."""
import os, re, shutil, sys

PKGS, OUT = sys.argv[1], sys.argv[2]
os.makedirs(OUT)
rows = []          # manifest rows
JA_RE = re.compile(r'[\u3040-\u30ff\u4e00-\u9fff]')
META_RE = re.compile(rb'<meta[^>]*charset[^>]*>', re.I)


def pkg_files(pkg, subdir, suffix):
    d = os.path.join(PKGS, pkg, subdir)
    if not os.path.isdir(d):
        return []
    return sorted(f for f in os.listdir(d)
                  if f.endswith(suffix) and os.path.isfile(os.path.join(d, f))
                  and not os.path.islink(os.path.join(d, f)))


def has_meta(data):
    return 'yes' if META_RE.search(data[:4096]) else 'no'


def add(src, name, lang, pkg, enc, twin='-', ncr=0):
    dst = os.path.join(OUT, name)
    assert not os.path.exists(dst), name
    shutil.copyfile(src, dst)
    with open(dst, 'rb') as f:
        data = f.read()
    rows.append((name, lang, pkg, enc, has_meta(data), twin, str(ncr),
                 os.path.relpath(src, PKGS)))


def add_tree(pkg, subdir, lang, prefix, strip, enc='utf-8'):
    for f in pkg_files(pkg, subdir, '.html'):
        stem = f[:-len('.html')]
        if strip and stem.endswith(strip):
            stem = stem[:-len(strip)]
        add(os.path.join(PKGS, pkg, subdir, f), f'{lang}-{prefix}-{stem}.html', lang, pkg, enc)


def ja_ratio(path):
    """Share of kana/kanji among the visible non-space characters of a UTF-8 page."""
    with open(path, encoding='utf-8') as f:
        t = f.read()
    t = re.sub(r'<script.*?</script>|<style.*?</style>', '', t, flags=re.S | re.I)
    t = re.sub(r'<[^>]+>', '', t)
    t = re.sub(r'\s+', '', t)
    return len(JA_RE.findall(t)) / max(1, len(t))


# Japanese UTF-8 manuals and their English (and Chinese) counterparts.
DEBREF = 'usr/share/debian-reference'
add_tree('debian-reference-ja', DEBREF, 'ja', 'debref', '.ja')
add_tree('debian-reference-en', DEBREF, 'en', 'debref', '.en')
add_tree('debian-reference-zh-cn', DEBREF, 'zh', 'debref', '.zh-cn')
add_tree('maint-guide-ja', 'usr/share/doc/maint-guide-ja/html', 'ja', 'maintguide', '.ja')
add_tree('maint-guide', 'usr/share/doc/maint-guide/html', 'en', 'maintguide', '.en')
add_tree('developers-reference-ja', 'usr/share/developers-reference/ja', 'ja', 'devref', None)
add_tree('developers-reference', 'usr/share/developers-reference', 'en', 'devref', None)

# gimp-help-ja: 150 translated pages (a third of the characters or more are kana/kanji; many
# pages are untranslated English), spread evenly over the sorted list.
GIMP = 'usr/share/gimp/2.0/help/ja'
gimp = [f for f in pkg_files('gimp-help-ja', GIMP, '.html')
        if ja_ratio(os.path.join(PKGS, 'gimp-help-ja', GIMP, f)) >= 0.3]
step = len(gimp) / 150
for i in range(min(150, len(gimp))):
    f = gimp[int(i * step)]
    add(os.path.join(PKGS, 'gimp-help-ja', GIMP, f), f'ja-gimp-{f}', 'ja', 'gimp-help-ja', 'utf-8')

# Real EUC-JP: namazu's Japanese manual declares no charset anywhere; edict's and kanjidic's
# (legacy) documentation declare euc-jp in <meta> but are English text with Japanese examples.
add_tree('namazu2-common', 'usr/share/doc/namazu2-common/ja', 'ja', 'namazu', None, 'euc-jp')
add_tree('namazu2-common', 'usr/share/doc/namazu2-common/en', 'en', 'namazu', None, 'utf-8')   # ASCII
add(os.path.join(PKGS, 'edict/usr/share/doc/edict/edict_doc.html'),
    'en-edict-edict_doc.html', 'en', 'edict', 'euc-jp')
add(os.path.join(PKGS, 'kanjidic/usr/share/doc/kanjidic/kanjidic_doc_legacy.html'),
    'en-kanjidic-kanjidic_doc_legacy.html', 'en', 'kanjidic', 'euc-jp')
add(os.path.join(PKGS, 'kanjidic/usr/share/doc/kanjidic/kanjidic_doc.html'),
    'en-kanjidic-kanjidic_doc.html', 'en', 'kanjidic', 'utf-8')

# Check the encodings claimed above against the bytes.
for r in rows:
    with open(os.path.join(OUT, r[0]), 'rb') as f:
        data = f.read()
    data.decode({'utf-8': 'utf-8', 'euc-jp': 'euc_jp'}[r[3]])

# Re-encodings. Characters that do not survive a round trip through all three codecs, and
# those whose mapping differs between Shift_JIS/CP932/EUC-JP decoders (wave dash, dashes,
# minus, double vertical line, cent/pound/not signs and their fullwidth forms), become numeric
# character references in all twins: the text after HTML entity decoding is then exactly the
# original's, whichever Japanese decoder variant reads it.
TWINS = [('debian-reference-ja', 'ja-debref-ch03.html'), ('debian-reference-ja', 'ja-debref-ch08.html'),
         ('debian-reference-ja', 'ja-debref-pr01.html'), ('maint-guide-ja', 'ja-maintguide-start.html'),
         ('maint-guide-ja', 'ja-maintguide-checkit.html'), ('maint-guide-ja', 'ja-maintguide-upload.html'),
         ('developers-reference-ja', 'ja-devref-new-maintainer.html'),
         ('developers-reference-ja', 'ja-devref-scope.html'), ('developers-reference-ja', 'ja-devref-l10n.html')]
TWINS = [t for t in TWINS if os.path.exists(os.path.join(OUT, t[1]))]
gimp_rows = [r for r in rows if r[2] == 'gimp-help-ja']
if gimp_rows:   # the most Japanese of the mid-sized gimp pages
    mid = [r for r in gimp_rows if 8000 <= os.path.getsize(os.path.join(OUT, r[0])) <= 40000]
    best = max(mid or gimp_rows, key=lambda r: (ja_ratio(os.path.join(OUT, r[0])), r[0]))
    TWINS.append(('gimp-help-ja', best[0]))

AMBIGUOUS = set('\u301c\uff5e\u2016\u2225\u2212\uff0d\u00a2\u00a3\u00ac\uffe0\uffe1\uffe2'
                '\u2014\u2015\u00a5\u203e')
CODECS = [('shift_jis', 'cp932', 'Shift_JIS', 'sjis'), ('euc-jp', 'euc_jp', 'EUC-JP', 'eucjp'),
          ('iso-2022-jp', 'iso2022_jp', 'ISO-2022-JP', 'iso2022jp')]
XML_DECL = re.compile(r'<\?xml[^>]*\?>\s*')
META_TAG = re.compile(r'<meta[^>]*charset[^>]*>\s*', re.I)
CHARSET_ATTR = re.compile(r'(charset\s*=\s*["\']?)utf-8', re.I)


def needs_ncr(ch):
    if ord(ch) < 128:
        return False
    if ch in AMBIGUOUS:
        return True
    for _, codec, _, _ in CODECS:
        try:
            if ch.encode(codec).decode(codec) != ch:
                return True
        except UnicodeEncodeError:
            return True
    return False


def set_declared(text, label):
    """label None: remove every charset declaration; else make them all name label."""
    if label is None:
        text = XML_DECL.sub('', text, count=1)
        return META_TAG.sub('', text)
    text = re.sub(r'(<\?xml[^>]*encoding=["\'])utf-8', lambda m: m.group(1) + label, text,
                  count=1, flags=re.I)
    return META_TAG.sub(lambda m: CHARSET_ATTR.sub(lambda c: c.group(1) + label, m.group(0)), text)


for pkg, name in TWINS:
    with open(os.path.join(OUT, name), encoding='utf-8') as f:
        text = f.read()
    bad = sorted({ch for ch in text if needs_ncr(ch)})
    ncr = sum(text.count(ch) for ch in bad)
    safe = ''.join(f'&#x{ord(ch):X};' if ch in bad else ch for ch in text)
    stem = name[:-len('.html')]
    variants = [('utf-8', 'utf-8', None, 'utf8')] + CODECS
    for enc, codec, label, short in variants:
        for with_meta in ((False,) if enc == 'utf-8' else (True, False)):
            body = set_declared(text if enc == 'utf-8' else safe, label if with_meta else None)
            data = body.encode(codec)          # strict: every character is encodable now
            assert data.decode(codec) == body
            out = f'{stem}.{short}-{"meta" if with_meta else "nometa"}.html'
            with open(os.path.join(OUT, out), 'wb') as f:
                f.write(data)
            meta = has_meta(data)
            assert meta == ('yes' if with_meta else 'no'), out
            if with_meta:
                assert label.encode('ascii') in META_RE.search(data).group(0), out
            rows.append((out, 'ja', pkg, enc, meta, name, str(ncr if enc != 'utf-8' else 0),
                         'derived'))

# index.html links every page, so `wget --level=1` reaches them all.
links = '\n'.join(f'<li><a href="{r[0]}">{r[0]}</a></li>' for r in rows)
with open(os.path.join(OUT, 'index.html'), 'w', encoding='ascii') as f:
    f.write('<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
            '<title>jaforge sample site</title></head>\n<body><ul>\n' + links + '\n</ul></body></html>\n')
with open(os.path.join(OUT, 'MANIFEST.tsv'), 'w', encoding='utf-8') as f:
    f.write('#file\tlang\tpackage\tencoding\tmeta_declared\ttwin_of\tncr_count\tsource\n')
    for r in rows:
        f.write('\t'.join(r) + '\n')
PYEOF
}

build_site
swap_in site

# ---------------------------------------------------------------- 3. warc
start_server() {
    local port tries=0 log=$WORK/http.log
    port=$(( 20000 + $$ % 20000 ))
    while [ $tries -lt 30 ]; do
        "$PY" -m http.server "$port" --bind 127.0.0.1 --directory "$DATA_DIR/site" \
            >"$log" 2>&1 &
        SERVER_PID=$!
        local _
        for _ in $(seq 50); do
            if ! kill -0 "$SERVER_PID" 2>/dev/null; then
                break        # it exited: most likely the port is taken
            fi
            if wget -q -O /dev/null --tries=1 --timeout=2 "http://127.0.0.1:$port/index.html"
            then
                PORT=$port
                return 0
            fi
            sleep 0.1
        done
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
        port=$(( port + 1 + RANDOM % 100 ))
        tries=$(( tries + 1 ))
    done
    die "could not start python3 -m http.server on a free port"
}

crawl() {   # crawl NAME [wget options]
    local name=$1; shift
    local rc=0
    (cd "$WORK/crawl" && wget -q --recursive --level=1 --no-parent --no-directories \
        --delete-after --no-http-keep-alive -e robots=off "$@" \
        --warc-file="$WORK/warc/$name" "http://127.0.0.1:$PORT/index.html") || rc=$?
    [ $rc -eq 0 ] || die "wget exited with $rc while writing $name (8 means an HTTP error)"
}

mkdir -p "$WORK/warc" "$WORK/crawl"
start_server
crawl sample
crawl sample --no-warc-compression
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
if grep -q '" [45][0-9][0-9] ' "$WORK/http.log"; then
    die "the crawl met HTTP errors: $(grep '" [45][0-9][0-9] ' "$WORK/http.log" | head -3)"
fi
gzip -c -n "$WORK/warc/sample.warc" > "$WORK/warc/sample-whole.warc.gz"
zstd -q -19 -T2 "$WORK/warc/sample.warc" -o "$WORK/warc/sample.warc.zst"

# ---------------------------------------------------------------- 4. warcio peer listings
if [ ! -d "$PEERS/node_modules/warcio" ]; then
    (cd "$PEERS" && npm install --no-audit --no-fund --silent >/dev/null)
fi
mkdir -p "$WORK/warcio"
for f in "$WORK"/warc/*; do
    name=$(basename "$f")
    node "$PEERS/warcio-index.mjs" "$f" > "$WORK/warcio/$name.records.jsonl"
    case $name in
        *.zst) ;;    # warcio's CLI reads only plain and gzip files
        *) (cd "$WORK/warc" && node "$PEERS/node_modules/warcio/dist/cli.js" index "$name" \
                --fields=offset,length,warc-type,warc-target-uri,warc-record-id) \
                > "$WORK/warcio/$name.index.jsonl" ;;
    esac
done
swap_in warc
swap_in warcio

# The crawl must hold one response per page of the site, plus index.html.
pages=$(grep -vc '^#' "$DATA_DIR/site/MANIFEST.tsv")
responses=$(grep -c '"warc-type":"response"' "$DATA_DIR/warcio/sample.warc.gz.records.jsonl")
[ "$responses" -eq $(( pages + 1 )) ] || die "sample.warc.gz has $responses responses, want $(( pages + 1 ))"

# ---------------------------------------------------------------- 5. vim tutor
mkdir -p "$WORK/tutor"
for f in tutor.ja.sjis tutor.ja.euc tutor.ja.utf-8; do
    src=$(find "$DATA_DIR/pkgs/vim-runtime/usr/share/vim" -path "*/tutor/$f" -type f | head -n 1)
    [ -n "$src" ] || die "vim-runtime has no tutor/$f"
    cp "$src" "$WORK/tutor/$f"
done
swap_in tutor

stamp_value > "$DATA_DIR/.stamp"
print_summary
