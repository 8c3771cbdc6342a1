#!/usr/bin/env bash
# Fetch the web assets the built book serves itself (MathJax, require.js and the
# ipywidgets embedder) from the npm registry, so that no page loads from a CDN.
#
#   tools/fetch_web_assets.sh [DEST]      (default DEST: book_assets)
#
# DEST/static  -> html_static_path, served under _static/
# DEST/extra   -> html_extra_path, copied to the site's root
set -euo pipefail

MATHJAX=3.2.2
REQUIREJS=2.3.8
HTML_MANAGER=1.0.15   # ipywidgets 8 asks for ^1.0.1

dest=${1:-book_assets}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "mathjax@$MATHJAX" "requirejs@$REQUIREJS" \
    "@jupyter-widgets/html-manager@$HTML_MANAGER" >/dev/null)
for pkg in mathjax requirejs html-manager; do
    mkdir "$tmp/$pkg"
    tar -xzf "$tmp"/*"$pkg"-*.tgz -C "$tmp/$pkg" --strip-components=1
done

rm -rf "$dest"
static=$dest/static
mkdir -p "$static/mathjax" "$static/requirejs" "$static/html-manager"

# MathJax: the TeX -> CommonHTML bundle, plus what it loads at run time from paths
# relative to itself: its fonts, TeX extensions (autoload, \require), and what the
# maths context menu can switch on (SVG renderer, accessibility, speech rules).
mj=$tmp/mathjax/es5
cp "$mj/tex-chtml.js" "$static/mathjax/"
for part in output/chtml/fonts/woff-v2 output/svg.js output/svg/fonts \
            input/tex/extensions input/mml.js input/mml a11y sre ui; do
    mkdir -p "$(dirname "$static/mathjax/$part")"
    cp -r "$mj/$part" "$static/mathjax/$part"
done

cp "$tmp/requirejs/require.js" "$static/requirejs/"

cp "$tmp/html-manager/dist/embed-amd.js" "$static/html-manager/"
# Keep each package.json: it records the version and the licence.
for pkg in mathjax requirejs html-manager; do cp "$tmp/$pkg/package.json" "$static/$pkg/"; done

# embed-amd.js loads its icon fonts from <require.js baseUrl>/@jupyter-widgets/html-manager/dist/;
# book_static/widgets-setup.js makes that baseUrl the site's root.
fonts=$dest/extra/@jupyter-widgets/html-manager/dist
mkdir -p "$fonts"
cp "$tmp/html-manager/dist/"*.{woff2,woff,ttf,eot,svg} "$fonts/"

echo "web assets: mathjax $MATHJAX, requirejs $REQUIREJS," \
     "html-manager $HTML_MANAGER -> $dest ($(du -sh "$dest" | cut -f1))"
