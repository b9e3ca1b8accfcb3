#!/bin/sh
# scripts/trace.sh — the safety case's trace matrix: hazard -> requirements ->
# tests, from docs/HAZARDS.md, docs/REQUIREMENTS.md and the `verifies:` tags
# of the tests (formats in docs/REQUIREMENTS.md).
#
#   sh scripts/trace.sh        the matrix, the planned requirements, the problems
#   sh scripts/trace.sh -q     one summary line, and the problems if any
#
# Exit status 1 when a hazard has no requirement, a requirement in force has
# no test, or a tag, a requirement or HAZARDS.md cites an ID that does not
# exist (or a tag is not directly above a test); 2 on a usage error.
set -u
quiet=0
case "${1:-}" in
-q) quiet=1 ;;
"") ;;
*) echo "usage: sh scripts/trace.sh [-q]" >&2; exit 2 ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
for f in docs/HAZARDS.md docs/REQUIREMENTS.md; do
	[ -f "$f" ] || { echo "trace: no $f" >&2; exit 2; }
done

# Where tests live: every C file, scenario and script under these folders.
tagged=$(for d in tests prove soak; do
	[ -d "$d" ] && find "$d" -type f \( -name '*.c' -o -name '*.scn' \
	  -o -name '*.py' -o -name '*.sh' \)
done | LC_ALL=C sort)

# shellcheck disable=SC2086
LC_ALL=C awk -v quiet="$quiet" '
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
function problem(msg) { problems[++nproblems] = msg }
function isreq(id) { return id ~ /^SR-[A-Z]+-[0-9][0-9][0-9]$/ }
function ishaz(id) { return id ~ /^HAZ-[A-Z]+-[0-9][0-9][0-9]$/ }
# IDs in a text: SR-... and HAZ-... words
function ids(text, out,    n, w, i, k) {
	gsub(/[^A-Za-z0-9-]+/, " ", text)
	n = split(text, w, " ")
	k = 0
	for (i = 1; i <= n; i++)
		if (w[i] ~ /^(SR|HAZ)-/)
			out[++k] = w[i]
	return k
}
# a tag: the IDs it cites, for the test named t
function tag(t, text, where,    n, w, i, id) {
	n = ids(text, w)
	if (n == 0)
		problem(where ": a verifies: tag that names no requirement")
	ntags++
	if (!(t in test_seen)) {
		test_seen[t] = 1
		if (where ~ /^prove\//) nanalyses++; else ntests++
	}
	for (i = 1; i <= n; i++) {
		id = w[i]
		if (!(id in req_title) || req_status[id] == "withdrawn") {
			problem(where ": " t " cites " id ", which is not a requirement")
			continue
		}
		if (!((id SUBSEP t) in req_has_test)) {
			req_has_test[id, t] = 1
			req_tests[id] = req_tests[id] "\n      " t
			req_ntests[id]++
		}
	}
}
function base(path,    s) { s = path; sub(/.*\//, "", s); return s }

FILENAME == "docs/REQUIREMENTS.md" {
	if ($0 ~ /^### SR-/) {
		cur = $2
		if (!isreq(cur)) { problem("REQUIREMENTS.md:" FNR ": bad requirement ID " cur); cur = ""; next }
		if (cur in req_title) problem("REQUIREMENTS.md:" FNR ": " cur " defined twice")
		t = $0; sub(/^### SR-[A-Z]+-[0-9]+[ \t]*(—|-)*[ \t]*/, "", t)
		req_title[cur] = t
		req_order[++nreq] = cur
		req_status[cur] = ""
		next
	}
	if ($0 ~ /^#/) { cur = ""; next }
	if (cur == "") next
	if ($0 ~ /^- Mitigates:/) {
		n = ids(substr($0, 13), w)
		for (i = 1; i <= n; i++) {
			if (!ishaz(w[i])) { problem("REQUIREMENTS.md:" FNR ": " cur " mitigates " w[i] ", not a hazard ID"); continue }
			req_haz[cur] = req_haz[cur] " " w[i]
		}
		if (n == 0) problem("REQUIREMENTS.md:" FNR ": " cur " mitigates nothing")
	} else if ($0 ~ /^- Status:/) {
		s = trim(substr($0, 10))
		if (s == "in force") req_status[cur] = "in force"
		else if (s ~ /^planned \(issue [0-9]+\)$/) {
			req_status[cur] = "planned"
			req_issue[cur] = s; sub(/^planned \(issue /, "", req_issue[cur]); sub(/\)$/, "", req_issue[cur])
		} else if (s == "withdrawn") req_status[cur] = "withdrawn"
		else problem("REQUIREMENTS.md:" FNR ": " cur ": status \"" s "\" (in force, planned (issue N) or withdrawn)")
	}
	next
}

FILENAME == "docs/HAZARDS.md" {
	if ($0 ~ /^\| *HAZ-/) {
		split($0, cell, "|")
		id = trim(cell[2])
		if (!ishaz(id)) { problem("HAZARDS.md:" FNR ": bad hazard ID " id); next }
		if (id in haz_title) problem("HAZARDS.md:" FNR ": " id " defined twice")
		haz_title[id] = trim(cell[3])
		haz_order[++nhaz] = id
	}
	# every ID cited anywhere must exist
	n = ids($0, w)
	for (i = 1; i <= n; i++)
		if (w[i] ~ /^SR-/) haz_cites[w[i]] = haz_cites[w[i]] " " FNR
		else if (w[i] ~ /^HAZ-/) hz_cites[w[i]] = hz_cites[w[i]] " " FNR
	next
}

# ---- the tests ----------------------------------------------------------
FNR == 1 { pending = ""; file = FILENAME; shortf = base(FILENAME); sub(/\.[a-z]+$/, "", shortf) }
FILENAME ~ /\.c$/ {
	if (pending != "") {
		line = $0
		name = ""
		if (line ~ /^(Parameterized)?Test\(/) {
			sub(/^(Parameterized)?Test\([ \t]*/, "", line)
			split(line, a, ",")
			s = trim(a[1]); nm = trim(a[2]); sub(/\).*/, "", nm)
			if (s ~ /^[A-Za-z_][A-Za-z0-9_]*$/ && nm ~ /^[A-Za-z_][A-Za-z0-9_]*$/)
				name = s "/" nm
		} else if (line ~ /^[A-Z_]*TEST\(/) {
			sub(/^[A-Z_]*TEST\([ \t]*/, "", line); sub(/[ \t,)].*/, "", line)
			name = line
		} else if (file ~ /^prove\// && line ~ /^void eva_[a-z0-9_]*\(/) {
			sub(/^void /, "", line); sub(/\(.*/, "", line)
			name = line
		}
		if (name == "")
			problem(pending_where ": a verifies: tag not directly above a test")
		else
			tag(shortf ": " name, pending, pending_where)
		pending = ""
	}
	if ($0 ~ /^[ \t]*\/\*[ \t]*verifies:/) {
		pending = $0; sub(/^[ \t]*\/\*[ \t]*verifies:/, "", pending); sub(/\*\/.*/, "", pending)
		pending_where = FILENAME ":" FNR
	} else if ($0 ~ /verifies:[ \t]*SR-/ && $0 !~ /^[ \t]*\/\*[ \t]*verifies:/ && $0 ~ /\/\*/) {
		problem(FILENAME ":" FNR ": a verifies: tag must be a line of its own, /* verifies: SR-... */")
	}
	next
}
FILENAME ~ /\.scn$/ {
	if ($0 ~ /^#[ \t]*verifies:/) {
		s = $0; sub(/^#[ \t]*verifies:/, "", s)
		tag("scenarios/" base(FILENAME), s, FILENAME ":" FNR)
	}
	next
}
# scripts: "# verifies: ..." above the check it tags
{
	if (pending != "" && trim($0) != "" && $0 !~ /^[ \t]*#/) {
		tag(base(FILENAME) ": " substr(trim($0), 1, 60), pending, pending_where)
		pending = ""
	}
	if ($0 ~ /^[ \t]*#[ \t]*verifies:/) {
		pending = $0; sub(/^[ \t]*#[ \t]*verifies:/, "", pending)
		pending_where = FILENAME ":" FNR
	}
}

END {
	for (id in haz_cites)
		if (!(id in req_title))
			problem("HAZARDS.md line" haz_cites[id] ": cites " id ", which is not a requirement")
	for (id in hz_cites)
		if (!(id in haz_title))
			problem("HAZARDS.md line" hz_cites[id] ": cites " id ", which is not a hazard")
	# requirements -> hazards
	for (i = 1; i <= nreq; i++) {
		r = req_order[i]
		if (req_status[r] == "") problem("REQUIREMENTS.md: " r " has no Status line")
		if (req_status[r] == "withdrawn") continue
		if (req_status[r] == "planned") nplanned++; else ninforce++
		n = split(req_haz[r], w, " ")
		for (k = 1; k <= n; k++) {
			if (!(w[k] in haz_title)) { problem("REQUIREMENTS.md: " r " mitigates " w[k] ", which is not in HAZARDS.md"); continue }
			haz_reqs[w[k]] = haz_reqs[w[k]] " " r
		}
		if (req_status[r] == "in force" && req_ntests[r] == 0) {
			gaps++
			problem("gap: " r " (" req_title[r] ") is in force and no test verifies it")
		}
	}
	for (i = 1; i <= nhaz; i++) {
		h = haz_order[i]
		if (haz_reqs[h] == "") {
			gaps++
			problem("gap: " h " (" haz_title[h] ") has no requirement")
		}
	}
	if (!quiet) {
		for (i = 1; i <= nhaz; i++) {
			h = haz_order[i]
			printf "%s  %s\n", h, haz_title[h]
			n = split(haz_reqs[h], w, " ")
			for (k = 1; k <= n; k++) {
				r = w[k]
				if (req_status[r] == "planned")
					printf "  %s  %s  [planned, issue %s]\n", r, req_title[r], req_issue[r]
				else
					printf "  %s  %s%s\n", r, req_title[r], req_ntests[r] ? req_tests[r] : "\n      (no test)"
			}
		}
		if (nplanned) {
			printf "\nPlanned requirements (built by open issues; they do not fail the trace):\n"
			for (i = 1; i <= nreq; i++) {
				r = req_order[i]
				if (req_status[r] != "planned") continue
				printf "  %-14s issue %-3s %s%s\n", r, req_issue[r], req_title[r], req_ntests[r] ? "  (" req_ntests[r] " tests already)" : ""
			}
		}
		printf "\n"
	}
	for (i = 1; i <= nproblems; i++)
		printf "trace: %s\n", problems[i]
	printf "trace: %d hazards, %d requirements (%d in force, %d planned), %d tests traced (%d tags, %d EVA analyses), %d gaps%s\n", \
	       nhaz, ninforce + nplanned, ninforce, nplanned, ntests, ntags, nanalyses, gaps, \
	       (nproblems > gaps) ? ", " (nproblems - gaps) " errors" : ""
	exit (nproblems > 0) ? 1 : 0
}
' docs/REQUIREMENTS.md docs/HAZARDS.md $tagged
