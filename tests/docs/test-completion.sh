#!/usr/bin/env bash
# The bash completion of pcap-analyzer (completions/pcap-analyzer): sourced in a plain bash, its function
# called with COMP_WORDS/COMP_CWORD as bash would set them, COMPREPLY checked. Its options must be --help's.
# Usage: test-completion.sh COMPLETION_FILE PCAP_ANALYZER
set -uo pipefail
comp=${1:?usage: test-completion.sh COMPLETION_FILE PCAP_ANALYZER}
prog=${2:?usage: test-completion.sh COMPLETION_FILE PCAP_ANALYZER}
failed=0
comp=$(realpath "$comp") prog=$(realpath "$prog")

# shellcheck source=../../completions/pcap-analyzer
source "$comp" || { echo "FAIL cannot source $comp"; exit 1; }
[[ $(complete -p pcap-analyzer 2>/dev/null) == *"-F _pcap_analyzer"* ]] || { echo "FAIL no complete -F for pcap-analyzer"; exit 1; }

d=$(mktemp -d /tmp/pcapd-completion.XXXXXX)
bin=$(mktemp -d /tmp/pcapd-completion-bin.XXXXXX)
trap 'rm -rf "$d" "$bin"' EXIT
# the threshold names come from the program itself (show-config), found in PATH as a user runs it
ln -s "$prog" "$bin/pcap-analyzer"
PATH=$bin:$PATH
cd "$d" || exit 1
mkdir sub
touch a.pcap b.PCAPNG c.cap d.dmp notes.txt 'with space.pcap' sub/e.pcap

# expect LINE EXPECTED...: complete the command line LINE (cursor at its end; a trailing space starts a
# new word) and compare the sorted COMPREPLY with EXPECTED.
expect() {
	local line=$1; shift
	read -r -a COMP_WORDS <<<"$line"
	[[ $line == *' ' ]] && COMP_WORDS+=('')
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line COMP_POINT=${#line}
	COMPREPLY=()
	_pcap_analyzer pcap-analyzer "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	local got want
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	[[ $# -eq 0 ]] && want=$(printf '' | tr '\n' ' ')
	[[ ${#COMPREPLY[@]} -eq 0 ]] && got=''
	if [[ $got == "$want" ]]; then
		echo "ok   '$line' -> ${got:-nothing}"
	else
		echo "FAIL '$line' -> '${got}', expected '${want}'"
		failed=1
	fi
}

options=$("$prog" --help | grep -oE -- '(^|[ ,])--[a-z][a-z0-9-]*' | tr -d ' ,' | sort -u)
expect 'pcap-analyzer ' analyze capture show-config
expect 'pcap-analyzer s' show-config
expect 'pcap-analyzer an' analyze
expect 'pcap-analyzer ca' capture
expect 'pcap-analyzer capture -w n' notes.txt
expect 'pcap-analyzer capture -i l' lo
expect 'pcap-analyzer analyze ' a.pcap b.PCAPNG c.cap d.dmp 'with space.pcap' sub
expect 'pcap-analyzer analyze s' sub
expect 'pcap-analyzer analyze sub/' sub/e.pcap
expect 'pcap-analyzer analyze a' a.pcap
expect 'pcap-analyzer analyze n'
expect 'pcap-analyzer --quiet analyze --json out.json ' a.pcap b.PCAPNG c.cap d.dmp 'with space.pcap' sub
expect 'pcap-analyzer analyze a.pcap '
expect 'pcap-analyzer analyze a.pcap --json n' notes.txt
expect 'pcap-analyzer analyze a.pcap -o ' a.pcap b.PCAPNG c.cap d.dmp notes.txt 'with space.pcap' sub
expect 'pcap-analyzer analyze a.pcap --json = n' notes.txt
expect 'pcap-analyzer analyze a.pcap --max-flows '
expect 'pcap-analyzer analyze a.pcap --csv ' sub
expect 'pcap-analyzer --csv sub analyze ' a.pcap b.PCAPNG c.cap d.dmp 'with space.pcap' sub
expect 'pcap-analyzer --ver' --version
expect 'pcap-analyzer --max-' --max-events --max-flows --max-packets
capture_options='--count --duration --filter --interface --ssh --ssh-option --tcpdump --write'
analyze_options=$(comm -23 <(printf '%s\n' $options) <(printf '%s\n' $capture_options | sort))
# shellcheck disable=SC2086 # one option per word
expect 'pcap-analyzer analyze a.pcap --' $analyze_options
# shellcheck disable=SC2086
expect 'pcap-analyzer capture --' $options
expect 'pcap-analyzer show-config --' --config --help --latency --threshold
expect 'pcap-analyzer analyze a.pcap --config n' notes.txt
expect 'pcap-analyzer analyze a.pcap -l '
names=$("$prog" show-config | sed -n 's/^\([a-z0-9_]*\)=.*/\1=/p')
[[ $(wc -w <<<"$names") -ge 10 ]] || { echo "FAIL show-config lists no thresholds"; failed=1; }
# shellcheck disable=SC2086
expect 'pcap-analyzer analyze a.pcap --threshold ' $names
expect 'pcap-analyzer analyze a.pcap --threshold dns_s' dns_slow_ms=

exit $failed
