"""patch.py IN OUT: lwt.ml with the callbacks of one promise run in the order they were
attached. Lwt 5.6.1 (and later) adds a callback in front of the promise's list
(`Regular_callback_list_concat (node, existing)`, the same for cancel callbacks), so the
newest runs first; here it goes behind. Nothing else changes (proxies still merge their
lists as Lwt does). Fails if Lwt's source no longer has the two places."""
import sys
s = open(sys.argv[1]).read()
for old, new in [
    ("Regular_callback_list_concat (node, existing)", "Regular_callback_list_concat (existing, node)"),
    ("Cancel_callback_list_concat (node, callbacks.cancel_callbacks)",
     "Cancel_callback_list_concat (callbacks.cancel_callbacks, node)"),
]:
    if s.count(old) != 1:
        sys.exit(f"patch.py: expected one `{old}` in {sys.argv[1]}")
    s = s.replace(old, new)
open(sys.argv[2], 'w').write(s)
