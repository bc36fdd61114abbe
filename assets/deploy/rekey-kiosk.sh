#!/usr/bin/env bash
# The kiosk account's login shell: the recovery wizard, started again
# whenever it ends, so the console never shows anything else.
# Install as /usr/local/bin/rekey-kiosk; see README.md, "Deploy".
#
# The wizard talks to the daemon (rekey.service), so the kiosk account
# needs no access to the store, only to the socket (daemon.socket_group).
# A single kiosk with no daemon can hold the store itself instead: replace
# `--connect "$socket"` with `--data-dir DIR` (a directory the kiosk
# account owns) and put the mail settings in the config below.

set -u
socket=${REKEY_SOCKET:-/run/rekey/rekey.sock}
# Optional, readable by the kiosk account: [wizard] kiosk_name, idle_secs,
# done_return_secs, language. Not the daemon's rekey.toml.
config=/etc/rekey/kiosk.toml

args=(--kiosk --connect "$socket")
if [ -r "$config" ]; then
    args+=(--config "$config")
fi

# Between two runs, Ctrl-C, Ctrl-\ and Ctrl-Z must not end this loop.
trap '' INT QUIT TSTP

while :; do
    /usr/local/bin/rekey "${args[@]}"
    # The wizard ends only when it cannot start (the daemon is not up yet,
    # say; it said why in one line) or is told to stop. Start it again.
    sleep 3
done
