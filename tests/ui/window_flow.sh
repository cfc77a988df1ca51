#!/usr/bin/env bash
# A real window under Xvfb against a real outpost-server on loopback, driven by `outpost --script`:
# create a profile, enrol from the provisioning file, record a case (after a refused save), capture an
# idea, sync, and visit every screen, saving a screenshot of each. Then lee, the team's lead, triages
# it on his own laptop (the review queue, a comment, accepting with a note, sharing it, the dashboard
# and the library), and ann's laptop shows the decision. The server must hold the records, written
# by ann and lee, and every screenshot must be a 1280x800 PNG.
#   window_flow.sh SERVER CLIENT WORK [SHOTS]   (SHOTS: where the screenshots go; default WORK/shots)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
server_bin=$1 client=$2 work=$3
shots=${4:-$work/shots}
rm -rf "$work"
mkdir -p "$work" "$shots"
cd "$work"
source "$here/../support/serve.sh"
"$server_bin" init --data srv >/dev/null
"$server_bin" team add north --data srv >/dev/null
"$server_bin" user add ann --team north --role worker --data srv >/dev/null
"$server_bin" user add lee --team north --role lead --data srv >/dev/null
# The server first, on a port the kernel picks; the enrolment files name that port.
start_server "$server_bin" server.log --data srv || { echo "window_flow: the server did not start"; exit 1; }
trap 'kill $server_pid 2>/dev/null || true' EXIT
"$server_bin" enroll --user ann --url "http://127.0.0.1:$port" --data srv --out ann.outpost >/dev/null
"$server_bin" enroll --user lee --url "http://127.0.0.1:$port" --data srv --out lee.outpost >/dev/null

cat >flow.txt <<FLOW
frames 3
type "Your name" Ann
type Passphrase correct horse battery staple
type "Passphrase again" correct horse battery staple
frames 2
screenshot $shots/01-create-profile.png
click Continue
wait-for Enrol
type "Enrolment file" $work/ann.outpost
frames 2
screenshot $shots/02-enrol.png
click Enrol
wait-for Skip 30
click Skip
wait-for "New case" 30
wait-synced 30
frames 3
screenshot $shots/03-cases-empty.png
click "New case"
frames 2
screenshot $shots/04-choose-form.png
click "Home visit"
wait-for Save
click Save
frames 3
screenshot $shots/05-form-needs-answers.png
type "Household or person visited" The Okafor family
click "Date of visit: Today"
click "Type of visit"
click "Follow up"
click "Parent or carer"
click Child
type "Who was seen, and how they were" Mum and both children at home. The youngest had a cough.
click "Child or adult at risk seen alone: Yes"
click "Concerns identified: No"
click Save
frames 3
click History
frames 3
screenshot $shots/06-case-saved-with-history.png
click "Attach a file"
wait-for damp-wall.png
click damp-wall.png
frames 3
click Save
wait-synced 30
frames 40
screenshot $shots/18-case-with-a-photo.png
click "Open damp-wall.png"
frames 3
screenshot $shots/19-photo-viewer.png
click Close
key ctrl+shift+n
wait-for "Save idea"
type "Your idea in one line" Text families the time of the visit the day before
type "What problem did you see?" Families are often out when we arrive, and a visit is wasted.
type "What would you change?" A text message from the office the afternoon before each planned visit.
click Time
click Outcomes
click Category
click Process
frames 2
screenshot $shots/07-capture-an-idea.png
click "Save idea"
frames 2
click "Sync now"
wait-synced 30
click Suggestions
frames 3
screenshot $shots/08-suggestions.png
click Cases
frames 5
screenshot $shots/09-cases.png
click Conflicts
frames 2
screenshot $shots/10-conflicts.png
click Settings
frames 2
screenshot $shots/11-settings.png
key ctrl+l
wait-for Unlock
frames 2
screenshot $shots/12-locked.png
quit
FLOW

# Each laptop keeps its settings in its own config folder. Ann's home holds a photo to attach.
cp "$here/../../docs/screenshots/16-library.png" "$work/damp-wall.png"
HOME=$work XDG_CONFIG_HOME=$work/ann-config xvfb-run -a -s '-screen 0 1280x800x24' "$client" --data-dir "$work/laptop" \
  --script flow.txt

cat >lead.txt <<FLOW
frames 3
type "Your name" Lee
type Passphrase another horse battery staple
type "Passphrase again" another horse battery staple
click Continue
wait-for Enrol
type "Enrolment file" $work/lee.outpost
click Enrol
wait-for Skip 30
click Skip
wait-for "New case" 30
wait-synced 30
wait-for "Review queue (1)" 30
click "Review queue (1)"
frames 2
key enter
frames 2
click "Comments (0)"
frames 2
type "Add a comment" Good idea. Could the office send it from the rota, so nobody types it?
click "Send comment"
frames 2
click "Comments (1)"
key a
frames 2
type "Decision note" Yes. The office will text families from the rota, starting next month.
frames 3
screenshot $shots/13-review-queue.png
click "Accept (a)"
frames 3
wait-for "Share to every team"
click "Share to every team"
frames 2
click "Sync now"
wait-synced 30
frames 3
screenshot $shots/14-decided-and-shared.png
click Dashboard
frames 3
screenshot $shots/15-dashboard.png
click Library
frames 3
screenshot $shots/16-library.png
quit
FLOW
XDG_CONFIG_HOME=$work/lee-config xvfb-run -a -s '-screen 0 1280x800x24' "$client" --data-dir "$work/lee-laptop" \
  --script lead.txt

cat >again.txt <<FLOW
frames 3
type Passphrase correct horse battery staple
click Unlock
wait-for "New case" 30
wait-synced 30
wait-for "Suggestions (1 new)" 30
click "Suggestions (1 new)"
frames 2
click "Text families the time of the visit the day before"
frames 2
click "Comments (1)"
frames 3
screenshot $shots/17-decision-arrived.png
click "Mark all read"
frames 2
quit
FLOW
XDG_CONFIG_HOME=$work/ann-config xvfb-run -a -s '-screen 0 1280x800x24' "$client" --data-dir "$work/laptop" \
  --script again.txt
# The example in outpost(1), exactly as shipped (docs/examples/check-build.txt), on Ann's laptop.
(cd "$work" && XDG_CONFIG_HOME=$work/ann-config xvfb-run -a -s '-screen 0 1280x800x24' "$client" \
  --data-dir "$work/laptop" --script "$here/../../docs/examples/check-build.txt") ||
  { echo "window_flow: the check-build example of outpost(1) failed"; exit 1; }
[[ -s "$work/check-1-synced.png" && -s "$work/check-2-form.png" ]] ||
  { echo "window_flow: the check-build example saved no screenshots"; exit 1; }
kill $server_pid
wait $server_pid 2>/dev/null || true
trap - EXIT

count() { sqlite3 srv/server.db "SELECT count(*) FROM srv_records WHERE type = '$1' AND created_by = 'ann'"; }
[[ $(count home_visit) == 1 ]] || { echo "window_flow: the server has $(count home_visit) home visits by ann, expected 1"; exit 1; }
[[ $(count suggestion) == 1 ]] || { echo "window_flow: the server has $(count suggestion) suggestions by ann, expected 1"; exit 1; }
decided=$(sqlite3 srv/server.db "SELECT count(*) FROM srv_changes WHERE type = 'suggestion' AND field = 'status' AND value = '\"accepted\"' AND author = 'lee'")
[[ $decided == 1 ]] || { echo "window_flow: lee's acceptance did not reach the server"; exit 1; }
practices=$(sqlite3 srv/server.db "SELECT count(*) FROM srv_records WHERE type = 'practice' AND team = '*'")
[[ $practices == 1 ]] || { echo "window_flow: the shared practice is not in the library"; exit 1; }
comments=$(sqlite3 srv/server.db "SELECT count(*) FROM srv_records WHERE type = 'comment' AND created_by = 'lee'")
[[ $comments == 1 ]] || { echo "window_flow: lee's comment did not reach the server"; exit 1; }
for png in "$shots"/*.png; do
  dims=$(od -An -tx1 -j16 -N8 "$png" | tr -d ' \n')
  [[ $(od -An -tx1 -N8 "$png" | tr -d ' \n') == 89504e470d0a1a0a && $dims == 0000050000000320 ]] ||
    { echo "window_flow: $png is not a 1280x800 PNG"; exit 1; }
done
[[ $(ls "$shots"/*.png | wc -l) -eq 19 ]] || { echo "window_flow: expected 19 screenshots"; exit 1; }
photo=$(sha256sum "$work/damp-wall.png" | cut -d' ' -f1)
[[ -f srv/blobs/north/$photo ]] || { echo "window_flow: the attached photo did not reach the server"; exit 1; }
echo "window_flow: ok (a case and an idea reached the server, the lead accepted and shared it; screenshots in $shots)"
