#!/usr/bin/env bash
# tests/windows/msi_test.sh: the Windows packages IT staff push to laptops, built by
# scripts/package-windows from a cross-built outpost.exe, inspected and then installed under Wine.
#   - The MSI (msiinfo, msiextract): every file at its place under Program Files\Outpost (bin\outpost.exe,
#     share\outpost\forms\*.json, share\outpost\fonts\*, the example policy, README.txt), the Start-menu
#     shortcut to bin\outpost.exe, the fixed UpgradeCode and its upgrade rows, per-machine (ALLUSERS=1,
#     x64); the portable ZIP holds the same tree.
#   - Signing: with a throwaway self-signed certificate the exe (in the ZIP and in the MSI) and the MSI
#     carry an Authenticode signature by that subject that verifies against it; without a key neither is
#     signed.
#   - Under Wine, in a fresh prefix: `msiexec /i ... /qn` installs per machine and the installed
#     outpost.exe says its version; a newer MSI upgrades in place (one product, the new version, the
#     new files); an older one is refused; a rebuild of the same version replaces it; `msiexec /x
#     {ProductCode} /qn` removes every installed file, the shortcut and the registry entries, and
#     leaves a profile in %LOCALAPPDATA%\Outpost and the site policy in %ProgramData%\Outpost untouched.
# Usage: tests/windows/msi_test.sh EXE WORKDIR
#   EXE      the cross-built client (build/windows/ui/outpost.exe)
#   WORKDIR  scratch space (its packages/ and wineprefix/ are remade each run)
# Needs wixl, msitools, osslsigncode, openssl, wine, cmake (scripts/setup installs them). Exits 1 on a failure.
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: tests/windows/msi_test.sh EXE WORKDIR" >&2; exit 2; }
repo="$(cd "$(dirname "$0")/../.." && pwd)"
exe="$(realpath "$1")"
work="$(realpath -m "$2")"
start=$SECONDS
checks=0

fail() { echo "msi_test: FAIL: $*" >&2; exit 1; }
ok() { checks=$((checks + 1)); echo "  ok - $*"; }
step() { echo "== $*"; }

for tool in wixl wixl-heat msiinfo msiextract osslsigncode openssl wine wineboot wineserver cmake; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/setup installs it)"
done
[[ -f "$exe" ]] || fail "no client at $exe"

# The UpgradeCode is how Windows knows every Outpost MSI is the same product: it must never change.
upgrade_code="{DA3C1766-61E6-4052-97EA-6DB2D9A23D4C}"
version="$(sed -n 's/^project(outpost VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt" | head -1)"
IFS=. read -r v_major v_minor v_patch <<<"$version"
newer="$v_major.$v_minor.$((v_patch + 1))"

mkdir -p "$work"
rm -rf "$work/packages" "$work/wineprefix"
mkdir -p "$work/packages"/{signed,newer,rebuild,keys}
export WINEDEBUG=-all WINEPREFIX="$work/wineprefix"
unset WINEARCH DISPLAY
wineboot_pid=""
cleanup() {
  [[ -n "$wineboot_pid" ]] && kill "$wineboot_pid" 2>/dev/null
  wineserver -k 2>/dev/null || true
}
trap cleanup EXIT
# A fresh prefix takes ~10 s: make it while the packages are built.
wineboot --init >"$work/wineboot.log" 2>&1 &
wineboot_pid=$!

# --- the packages -------------------------------------------------------------------------------
step "packages from $exe"
keys="$work/packages/keys"
subject="/CN=Outpost MSI Test Signing/O=Outpost Tests"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$keys/key.pem" -out "$keys/cert.pem" -days 2 \
  -subj "$subject" -addext "extendedKeyUsage=codeSigning" -addext "keyUsage=digitalSignature" \
  >"$keys/openssl.log" 2>&1 || { cat "$keys/openssl.log"; fail "could not make a throwaway certificate"; }
OUTPOST_SIGN_CERT="$keys/cert.pem" OUTPOST_SIGN_KEY="$keys/key.pem" \
  "$repo/scripts/package-windows" "$exe" "$work/packages/signed" | tee "$work/packages/signed.log"
"$repo/scripts/package-windows" --version "$newer" "$exe" "$work/packages/newer" | tee "$work/packages/newer.log"
"$repo/scripts/package-windows" --version "$newer" "$exe" "$work/packages/rebuild" >/dev/null
msi1="$work/packages/signed/outpost-$version-x64.msi"
zip1="$work/packages/signed/outpost-$version-x64.zip"
msi2="$work/packages/newer/outpost-$newer-x64.msi"
zip2="$work/packages/newer/outpost-$newer-x64.zip"
msi3="$work/packages/rebuild/outpost-$newer-x64.msi"
for f in "$msi1" "$zip1" "$msi2" "$zip2" "$msi3"; do [[ -s "$f" ]] || fail "scripts/package-windows made no $f"; done
ok "scripts/package-windows made outpost-$version-x64.{msi,zip} (signed) and outpost-$newer-x64.{msi,zip} (unsigned)"

# --- the MSI's tables ---------------------------------------------------------------------------
step "the MSI's tables (msiinfo)"
# One table row per line, without the three header lines.
rows() { msiinfo export "$1" "$2" | tail -n +4 | tr -d '\r'; }
# bit(v, b): whether the flag b (a power of two) is set in v (mawk has no and()).
awk_bit='function bit(v, b) { return int(v / b) % 2 } '
prop() { rows "$1" Property | awk -F'\t' -v k="$2" '$1 == k { print $2 }'; }

tables="$(msiinfo tables "$msi1")"
for t in File Component Directory Shortcut Property Upgrade InstallExecuteSequence; do
  grep -qx "$t" <<<"$tables" || fail "the MSI has no $t table"
done
ok "msiinfo tables lists File, Component, Directory, Shortcut, Property, Upgrade, InstallExecuteSequence"

# Every file, by its install path (msiextract resolves the Directory table).
expected="$work/packages/expected.txt"
{
  echo "Outpost/bin/outpost.exe"
  echo "Outpost/README.txt"
  echo "Outpost/share/doc/outpost/examples/client.json"
  for f in "$repo"/assets/forms/*.json; do echo "Outpost/share/outpost/forms/$(basename "$f")"; done
  for f in "$repo"/assets/fonts/*; do echo "Outpost/share/outpost/fonts/$(basename "$f")"; done
} | LC_ALL=C sort >"$expected"
msiextract -l "$msi1" | tr -d '\r' | LC_ALL=C sort >"$work/packages/msi-files.txt"
diff -u "$expected" "$work/packages/msi-files.txt" || fail "the MSI's files differ from the install layout (above)"
n_forms=$(grep -c '/forms/' "$expected")
n_fonts=$(grep -c '/fonts/' "$expected")
ok "File table: bin\\outpost.exe, $n_forms forms, $n_fonts font files, README.txt, the example policy, all under Program Files\\Outpost"
rows "$msi1" Directory | grep -q "^INSTALLDIR	ProgramFiles64Folder	Outpost$" \
  || fail "INSTALLDIR is not ProgramFiles64Folder\\Outpost"
rows "$msi1" Component | awk -F'\t' "$awk_bit"'$1 == "OutpostExe" && $3 == "BINDIR" && bit($4, 256) { f = 1 } END { exit !f }' \
  || fail "outpost.exe is not a 64-bit component in BINDIR"
ok "Directory/Component: INSTALLDIR = ProgramFiles64Folder\\Outpost, outpost.exe a 64-bit component"

shortcut="$(rows "$msi1" Shortcut)"
[[ $(wc -l <<<"$shortcut") -eq 1 ]] || fail "want one shortcut, got: $shortcut"
awk -F'\t' '$2 == "ProgramMenuFolder" && $3 == "Outpost" && $5 == "[#OutpostExe]" && $12 == "BINDIR" { f = 1 } END { exit !f }' \
  <<<"$shortcut" || fail "the shortcut is not Start menu \"Outpost\" -> bin\\outpost.exe: $shortcut"
ok "Shortcut: \"Outpost\" in ProgramMenuFolder -> [#OutpostExe], working folder bin"

[[ "$(prop "$msi1" UpgradeCode)" == "$upgrade_code" ]] || fail "UpgradeCode is $(prop "$msi1" UpgradeCode), want $upgrade_code"
[[ "$(prop "$msi2" UpgradeCode)" == "$upgrade_code" ]] || fail "the newer MSI has another UpgradeCode"
pc1="$(prop "$msi1" ProductCode)"; pc2="$(prop "$msi2" ProductCode)"; pc3="$(prop "$msi3" ProductCode)"
[[ "$pc1" =~ ^\{[0-9A-F-]{36}\}$ && "$pc1" != "$pc2" && "$pc2" != "$pc3" ]] \
  || fail "each build needs its own ProductCode: $pc1 $pc2 $pc3"
[[ "$(prop "$msi1" ProductVersion)" == "$version" && "$(prop "$msi2" ProductVersion)" == "$newer" ]] \
  || fail "ProductVersion: $(prop "$msi1" ProductVersion) / $(prop "$msi2" ProductVersion)"
ok "Property: UpgradeCode $upgrade_code in both versions, a new ProductCode per build, ProductVersion $version / $newer"

[[ "$(prop "$msi1" ALLUSERS)" == "1" ]] || fail "ALLUSERS is '$(prop "$msi1" ALLUSERS)', want 1 (per machine)"
suminfo="$(msiinfo suminfo "$msi1" | tr -d '\r')"
grep -qx "Template: x64;1033" <<<"$suminfo" || fail "the package is not x64: $(grep Template <<<"$suminfo")"
words=$(sed -n 's/^Source: \([0-9]*\).*/\1/p' <<<"$suminfo")
((words & 2 && !(words & 8))) || fail "word count $words: want compressed (2) and elevated, per machine (no 8)"
ok "per machine: ALLUSERS=1, summary Template x64;1033, word count $words (compressed, elevated)"

upgrade="$(rows "$msi1" Upgrade)"
# Older and same X.Y.Z: removed (not OnlyDetect), up to the next X.Y.Z exclusive; from it: OnlyDetect.
awk -F'\t' -v c="$upgrade_code" -v n="$newer" "$awk_bit"'$1 == c && $3 == n && !bit($5, 2) && !bit($5, 512) { f = 1 } END { exit !f }' \
  <<<"$upgrade" || fail "no Upgrade row removing older versions below $newer: $upgrade"
awk -F'\t' -v c="$upgrade_code" -v n="$newer" "$awk_bit"'$1 == c && $2 == n && bit($5, 2) && bit($5, 256) { f = 1 } END { exit !f }' \
  <<<"$upgrade" || fail "no Upgrade row detecting a newer version from $newer: $upgrade"
rows "$msi1" LaunchCondition | grep -q "^NOT OUTPOST_NEWER_FOUND	" || fail "no launch condition refusing a downgrade"
sequence="$(rows "$msi1" InstallExecuteSequence | cut -f1)"
for action in FindRelatedProducts RemoveExistingProducts; do
  grep -qx "$action" <<<"$sequence" || fail "InstallExecuteSequence lacks $action"
done
ok "Upgrade: versions below $newer are removed (major upgrade), $newer and above refused; RemoveExistingProducts scheduled"

step "the portable ZIP"
cmake -E tar tf "$zip1" | grep -v '/$' | sed "s|^outpost-$version-x64/|Outpost/|" | LC_ALL=C sort >"$work/packages/zip-files.txt"
diff -u "$expected" "$work/packages/zip-files.txt" || fail "the ZIP's files differ from the MSI's (above)"
ok "outpost-$version-x64.zip holds the same tree under outpost-$version-x64/"

# --- signing --------------------------------------------------------------------------------------
step "Authenticode signatures (osslsigncode)"
verify_signed() {  # FILE WHAT: signed by the throwaway certificate, and the signature verifies against it
  local out
  out="$(osslsigncode verify -CAfile "$keys/cert.pem" -in "$1" 2>&1)" || { echo "$out"; fail "$2: the signature does not verify"; }
  grep -q "Subject: $subject" <<<"$out" || { echo "$out"; fail "$2: not signed by $subject"; }
  grep -q "Signature verification: ok" <<<"$out" || { echo "$out"; fail "$2: signature not verified"; }
}
verify_unsigned() {
  local out
  if out="$(osslsigncode verify -in "$1" 2>&1)"; then echo "$out"; fail "$2 is signed"; fi
  grep -qE "No signature found|has no signature" <<<"$out" || { echo "$out"; fail "$2: unexpected output"; }
}
rm -rf "$work/packages/x1" "$work/packages/x2"
mkdir -p "$work/packages/x1" "$work/packages/x2"
(cd "$work/packages/x1" && cmake -E tar xf "$zip1")
msiextract -C "$work/packages/x1/msi" "$msi1" >/dev/null
(cd "$work/packages/x2" && cmake -E tar xf "$zip2")
verify_signed "$msi1" "the signed MSI"
verify_signed "$work/packages/x1/outpost-$version-x64/bin/outpost.exe" "outpost.exe in the signed ZIP"
verify_signed "$work/packages/x1/msi/Outpost/bin/outpost.exe" "outpost.exe in the signed MSI"
ok "with OUTPOST_SIGN_CERT/KEY: the MSI and outpost.exe (in the ZIP and in the MSI) signed by \"$subject\", verified against it"
grep -q "UNSIGNED" "$work/packages/newer.log" || fail "scripts/package-windows did not say it left the packages unsigned"
verify_unsigned "$msi2" "the MSI built without a key"
verify_unsigned "$work/packages/x2/outpost-$newer-x64/bin/outpost.exe" "outpost.exe built without a key"
ok "without a key: MSI and outpost.exe unsigned, and the script says so"

# --- under Wine -----------------------------------------------------------------------------------
step "install, upgrade and uninstall under Wine ($(wine --version 2>/dev/null))"
wait "$wineboot_pid" || { cat "$work/wineboot.log"; fail "wineboot --init failed"; }
wineboot_pid=""
drive_c="$WINEPREFIX/drive_c"
mkdir -p "$drive_c/packages"
cp "$msi1" "$drive_c/packages/v1.msi"
cp "$msi2" "$drive_c/packages/v2.msi"
cp "$msi3" "$drive_c/packages/v2-rebuild.msi"
wcmd() { wine "$@" 2>/dev/null | tr -d '\r'; }
msiexec() { wine msiexec "$@" >>"$work/msiexec.log" 2>&1; }
uninstall_key='HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall'
# The "Outpost" entries of Programs and Features: "ProductCode DisplayVersion", one a line.
products() {
  wcmd reg query "$uninstall_key" /s | awk '
    /^HKEY_/ { key = $0; sub(/.*\\/, "", key); name = ""; ver = "" }
    $1 == "DisplayName" { name = substr($0, index($0, "REG_SZ") + 10) }
    $1 == "DisplayVersion" { ver = $3 }
    /^$/ && name == "Outpost" { print key, ver; name = "" }
    END { if (name == "Outpost") print key, ver }'
}
installed="$drive_c/Program Files/Outpost"
installed_exe="$installed/bin/outpost.exe"
find_shortcuts() { find "$drive_c/users" "$drive_c/ProgramData" -name 'Outpost.lnk' -path '*Start Menu/Programs/*' 2>/dev/null; }

msiexec /i 'C:\packages\v1.msi' /qn || { cat "$work/msiexec.log"; fail "msiexec /i v1 /qn failed"; }
[[ -f "$installed_exe" ]] || fail "no outpost.exe under C:\\Program Files\\Outpost\\bin after the install"
while read -r f; do [[ -f "$installed/$f" ]] || fail "not installed: $f"; done < <(cut -d/ -f2- "$expected")
[[ "$(products)" == "$pc1 $version" ]] || fail "Programs and Features after the install: '$(products)', want '$pc1 $version'"
wcmd reg query 'HKLM\Software\Classes\Installer\Products' /s | grep -q "ProductName.*REG_SZ.*Outpost" \
  || fail "the product is not registered per machine (HKLM\\Software\\Classes\\Installer\\Products)"
# Wine puts a per-machine ProgramMenuFolder in the installing user's Start menu (a FIXME in its msi);
# Windows puts it in the all-users one. Either way there is exactly one.
[[ $(find_shortcuts | wc -l) -eq 1 ]] || fail "want one Outpost.lnk in a Start menu, got: $(find_shortcuts)"
said="$(wcmd 'C:\Program Files\Outpost\bin\outpost.exe' --version)"
[[ "$said" =~ ^outpost\ $version\ \([0-9a-f]+ ]] || fail "the installed outpost.exe --version said '$said'"
verify_signed "$installed_exe" "the installed outpost.exe"
ok "msiexec /i outpost-$version-x64.msi /qn: all files under C:\\Program Files\\Outpost, per machine, $(find_shortcuts | sed "s|^$drive_c/|C:/|"), '$said'"

# A profile and a site policy made while Outpost is installed (as the client and IT would).
local_appdata="$(wine winepath -u "$(wcmd cmd /c echo '%LOCALAPPDATA%')" 2>/dev/null | tr -d '\r')"
program_data="$(wine winepath -u "$(wcmd cmd /c echo '%ProgramData%')" 2>/dev/null | tr -d '\r')"
[[ -d "$local_appdata" && -d "$program_data" ]] || fail "no %LOCALAPPDATA% ($local_appdata) or %ProgramData% ($program_data)"
profile="$local_appdata/Outpost/data/profiles/ann"
mkdir -p "$profile" "$program_data/Outpost"
echo "a profile made between install and uninstall" >"$profile/marker.txt"
cp "$repo/docs/examples/client.json" "$program_data/Outpost/client.json"
profile_sum="$(cd "$local_appdata/Outpost" && find . -type f -exec sha256sum {} + | sort)"
ok "a profile in %LOCALAPPDATA%\\Outpost and a site policy in %ProgramData%\\Outpost\\client.json"

msiexec /i 'C:\packages\v2.msi' /qn || { cat "$work/msiexec.log"; fail "msiexec /i v2 /qn (the upgrade) failed"; }
[[ "$(products)" == "$pc2 $newer" ]] || fail "Programs and Features after the upgrade: '$(products)', want only '$pc2 $newer'"
[[ $(find "$drive_c" -iname outpost.exe | wc -l) -eq 1 ]] || fail "more than one outpost.exe: $(find "$drive_c" -iname outpost.exe)"
verify_unsigned "$installed_exe" "the upgraded outpost.exe (the unsigned build)"
[[ $(find_shortcuts | wc -l) -eq 1 ]] || fail "want one Outpost.lnk after the upgrade, got: $(find_shortcuts)"
ok "msiexec /i outpost-$newer-x64.msi /qn upgrades in place: one Outpost ($newer), one outpost.exe (the new build), one shortcut"

if msiexec /i 'C:\packages\v1.msi' /qn; then fail "installing $version over $newer was not refused"; fi
[[ "$(products)" == "$pc2 $newer" ]] || fail "after the refused downgrade: '$(products)'"
ok "installing the older $version over $newer is refused and changes nothing"

msiexec /i 'C:\packages\v2-rebuild.msi' /qn || { cat "$work/msiexec.log"; fail "msiexec /i (a rebuild of $newer) failed"; }
[[ "$(products)" == "$pc3 $newer" ]] || fail "after a rebuild of the same version: '$(products)', want only '$pc3 $newer'"
ok "a rebuild of $newer (a new ProductCode) replaces the installed one: still one Outpost"

msiexec /x "$pc3" /qn || { cat "$work/msiexec.log"; fail "msiexec /x $pc3 /qn failed"; }
[[ ! -e "$installed_exe" ]] || fail "outpost.exe is still installed after the uninstall"
[[ ! -e "$installed" ]] || fail "left behind in Program Files: $(find "$installed")"
[[ -z "$(products)" ]] || fail "Programs and Features still lists: $(products)"
[[ -z "$(find_shortcuts)" ]] || fail "the Start-menu shortcut is left: $(find_shortcuts)"
if wcmd reg query 'HKLM\Software\Outpost' >/dev/null; then fail "HKLM\\Software\\Outpost is left behind"; fi
[[ "$(cd "$local_appdata/Outpost" && find . -type f -exec sha256sum {} + | sort)" == "$profile_sum" ]] \
  || fail "the profile in %LOCALAPPDATA%\\Outpost changed or went with the uninstall"
cmp -s "$repo/docs/examples/client.json" "$program_data/Outpost/client.json" || fail "the site policy went with the uninstall"
ok "msiexec /x {ProductCode} /qn removes the files, the shortcut and the registry entries; the profile and the site policy are untouched"

echo "msi_test: PASS ($checks checks, $((SECONDS - start)) s)"
