#!/usr/bin/python3
"""NETCONF interop: a router's NETCONF server driven by ncclient, a client
nobody here wrote.  Run by netconf.sh inside hostA's namespace:

    netconf_client.py HOST ADMIN_KEY READER_KEY STRANGER_KEY

Each check prints one line; the first that fails ends the run with exit
status 1 and says what was expected and what came."""
import re
import sys

from ncclient import manager
from ncclient.operations.rpc import RPCError
from ncclient.transport.errors import AuthenticationError
from ncclient.xml_ import to_ele

NS = "urn:opensvr:yang:opensvr"
HOST, ADMIN, READER, STRANGER = sys.argv[1:5]


def fail(what):
    print("FAIL: " + what)
    sys.exit(1)


def ok(what):
    print("ok: " + what)


def connect(user, key):
    return manager.connect(host=HOST, port=830, username=user, key_filename=key,
                           hostkey_verify=False, allow_agent=False,
                           look_for_keys=False, timeout=20)


def description_of(xml):
    """routerA's description in a get-config reply, or None."""
    marker = "<description>"
    for part in xml.split("<router>")[1:]:
        if "<name>routerA</name>" in part.split("<node>")[0]:
            head = part.split("<node>")[0]
            if marker in head:
                return head.split(marker)[1].split("</description>")[0]
    return None


def rpc_error(call, *args, **kw):
    try:
        call(*args, **kw)
    except RPCError as e:
        return e
    return None


def edit(value):
    return ('<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><authority xmlns="%s"><router><name>routerA</name>'
            '<description>%s</description></router></authority></config>' % (NS, value))


m = connect("admin", ADMIN)

# hello and capabilities
caps = list(m.server_capabilities)
for want in ("urn:ietf:params:netconf:base:1.1", "urn:ietf:params:netconf:capability:candidate:1.0",
             "urn:ietf:params:netconf:capability:confirmed-commit:1.1",
             "urn:ietf:params:netconf:capability:validate:1.1",
             "urn:ietf:params:netconf:capability:xpath:1.0"):
    if want not in caps:
        fail("hello: no capability %s in %s" % (want, caps))
if not any(c.startswith("urn:ietf:params:netconf:capability:yang-library:1.1") for c in caps):
    fail("hello: no yang-library capability: %s" % caps)
# opensvr is YANG 1.1: announced in the YANG library, not in the hello
lib = m.get(filter=("subtree", '<yang-library xmlns="urn:ietf:params:xml:ns:yang:ietf-yang-library"/>')).data_xml
if "<name>opensvr</name>" not in lib or "<namespace>%s</namespace>" % NS not in lib:
    fail("the YANG library does not list opensvr: %s" % lib[:800])
schema = m.get_schema("opensvr").data
if "module opensvr" not in schema or "list user" not in schema:
    fail("get-schema opensvr: %s" % schema[:200])
# modules whose text holds '<' (libnetconf2's own get-schema had svrd fall)
for mod in ("ietf-netconf", "notifications"):
    if "module %s" % mod not in m.get_schema(mod).data:
        fail("get-schema %s" % mod)
e = rpc_error(m.get_schema, "no-such-module")
if e is None or e.tag != "invalid-value":
    fail("get-schema of an unknown module: %s" % (e and e.tag))
ok("hello: base 1.1, candidate, confirmed-commit 1.1, validate, xpath, yang-library; "
   "opensvr in the YANG library and from get-schema")

# get-config
running = m.get_config(source="running").data_xml
if "<name>routerA</name>" not in running or "<name>routerB</name>" not in running:
    fail("get-config running: no routers in %s" % running[:500])
if description_of(running) is not None:
    fail("get-config running: routerA already has a description")
ok("get-config running: the authority with both routers")

# an invalid value: an rpc-error naming the path
e = rpc_error(m.edit_config, target="candidate", config=(
    '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><authority xmlns="%s"><security-key-management>'
    '<peer-key-rekey-interval>soon</peer-key-rekey-interval>'
    '</security-key-management></authority></config>' % NS))
if e is None:
    fail("edit-config of an invalid value was taken")
if e.tag != "invalid-value" or (e.path or "").strip() != \
        "/opensvr:authority/security-key-management/peer-key-rekey-interval":
    fail("edit-config invalid value: tag %s path %s message %s" % (e.tag, e.path, e.message))
ok("edit-config of an invalid value: %s at %s" % (e.tag, e.path))
if description_of(m.get_config(source="candidate").data_xml) is not None:
    fail("the refused edit changed the candidate")

# a valid edit, then validate
m.edit_config(target="candidate", config=edit("set over NETCONF"))
if description_of(m.get_config(source="candidate").data_xml) != "set over NETCONF":
    fail("edit-config: the candidate does not hold the new description")
if description_of(m.get_config(source="running").data_xml) is not None:
    fail("edit-config: running changed before a commit")
m.validate(source="candidate")
ok("edit-config: in the candidate, not in running; validate ok")

# commit confirmed, then cancel-commit: running restored
m.commit(confirmed=True, timeout="120")
if description_of(m.get_config(source="running").data_xml) != "set over NETCONF":
    fail("commit confirmed: running does not hold the change")
m.cancel_commit()
if description_of(m.get_config(source="running").data_xml) is not None:
    fail("cancel-commit: running was not restored")
ok("commit confirmed then cancel-commit: running restored")

# with persist: the commit outlives its session; only the token settles it
m.edit_config(target="candidate", config=edit("persisted"))
m.commit(confirmed=True, timeout="120", persist="tok-1")
other = connect("admin", ADMIN)
e = rpc_error(other.cancel_commit, persist_id="tok-2")
if e is None or e.tag != "invalid-value":
    fail("cancel-commit with the wrong persist-id: %s" % (e and e.tag))
e = rpc_error(other.cancel_commit)
if e is None or e.tag != "invalid-value":
    fail("cancel-commit without the persist-id: %s" % (e and e.tag))
if description_of(other.get_config(source="running").data_xml) != "persisted":
    fail("a refused cancel-commit changed running")
other.cancel_commit(persist_id="tok-1")
if description_of(other.get_config(source="running").data_xml) is not None:
    fail("cancel-commit with the persist-id: running was not restored")
other.close_session()
ok("commit confirmed with persist: another session cancels it with the token only")

# delete of what is not there: data-missing
e = rpc_error(m.edit_config, target="candidate", config=(
    '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><authority xmlns="%s" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">'
    '<service nc:operation="delete"><name>no-such-service</name></service>'
    '</authority></config>' % NS))
if e is None or e.tag != "data-missing":
    fail("delete of a missing service: %s" % (e and e.tag))
ok("delete of a missing entry: data-missing")

# commit
m.discard_changes()
m.edit_config(target="candidate", config=edit("committed over NETCONF"))
m.commit()
if description_of(m.get_config(source="running").data_xml) != "committed over NETCONF":
    fail("commit: running does not hold the change")
ok("commit: running holds the change")

# a leaf deleted as clients write it: an empty element
m.edit_config(target="candidate", config=(
    '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><authority xmlns="%s" '
    'xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"><router><name>routerA</name>'
    '<description nc:operation="delete"/></router></authority></config>' % NS))
if description_of(m.get_config(source="candidate").data_xml) is not None:
    fail("delete of an empty leaf element: the description stayed")
m.discard_changes()
if description_of(m.get_config(source="candidate").data_xml) != "committed over NETCONF":
    fail("discard-changes: the candidate is not running again")
ok("delete of a leaf as an empty element; discard-changes restores the candidate")

# a subtree filter, and get with the operational state
f = m.get_config(source="running", filter=(
    "subtree", '<authority xmlns="%s"><router><name>routerB</name></router></authority>' % NS)).data_xml
if "<name>routerB</name>" not in f or f.count("<router>") != 1 or "<service>" in f:
    fail("subtree filter on routerB: %s" % f[:500])
state = m.get(filter=("subtree", '<authority-state xmlns="%s"/>' % NS)).data_xml
if "<authority-state" not in state or "<key-status>" not in state or "<authority>" in state:
    fail("get of the operational state: %s" % state[:500])
ok("subtree filter: routerB alone; get: the operational state")

# lock: another session is refused while it is held
m.lock(target="candidate")
r = connect("reader", READER)
m2 = connect("admin", ADMIN)
e = rpc_error(m2.lock, target="candidate")
if e is None or e.tag != "lock-denied":
    fail("a second lock: %s" % (e and e.tag))
m.unlock(target="candidate")
m2.lock(target="candidate")
m2.unlock(target="candidate")
m2.close_session()
ok("lock: a second session is denied until unlock")

# read-only: reads work, edits are refused
if "<name>routerA</name>" not in r.get_config(source="running").data_xml:
    fail("read-only: get-config failed")
for call, kw in ((r.edit_config, {"target": "candidate", "config": edit("by a reader")}),
                 (r.commit, {}), (r.lock, {"target": "candidate"})):
    e = rpc_error(call, **kw)
    if e is None or e.tag != "access-denied":
        fail("read-only: %s was not refused: %s" % (call.__name__, e and e.tag))
r.close_session()
ok("read-only user: get-config works; edit-config, commit and lock are access-denied")

# notifications (RFC 5277): every event on one session, key events only
# (a subtree filter) on the reader's
ev = connect("admin", ADMIN)
ev.create_subscription()
kr = connect("reader", READER)
# RFC 5277 puts <filter> in the notification namespace (its schema's
# elementFormDefault is qualified); ncclient's create_subscription puts it
# in the base one, which the model refuses: send the operation as written
kr.dispatch(to_ele('<create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0">'
                   '<filter type="subtree"><key-event xmlns="%s"/></filter>'
                   '</create-subscription>' % NS))
lan9 = ('<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><authority xmlns="%s" '
        'xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0"><router><name>routerA</name>'
        '<node><name>routerA-1</name><device-interface%s><name>lan9</name>'
        '<network-interface><name>lan9</name></network-interface></device-interface>'
        '</node></router></authority></config>')
m.edit_config(target="candidate", config=lan9 % (NS, ""))
m.commit()


def wait_for(session, words, what):
    """The first notification holding every word, within 15 s."""
    seen = []
    while True:
        n = session.take_notification(block=True, timeout=15)
        if n is None:
            fail("no notification %s within 15 s; saw %s" % (what, seen))
        x = n.notification_xml
        if all(w in x for w in words):
            return x
        seen.append(x[:300])


x = wait_for(ev, ("<alarm-event", "<event>raised</event>", "<severity>critical</severity>",
                  "lan9", "<eventTime>"), "for the lan9 alarm")
m.edit_config(target="candidate", config=lan9 % (NS, ' nc:operation="delete"'))
m.commit()
wait_for(ev, ("<alarm-event", "<event>cleared</event>", "lan9"), "for the lan9 alarm cleared")
ok("notification: the alarm raised, then cleared, with its severity and eventTime")

# the conductor's renewal operations, on a router that never enrolled:
# refused with the reason, nothing installed
for op in ('<renew-certificate-request xmlns="%s"/>' % NS,
           '<renew-certificate-install xmlns="%s"><certificate>-----BEGIN CERTIFICATE-----'
           'MIIB-----END CERTIFICATE-----</certificate></renew-certificate-install>' % NS):
    e = rpc_error(m.dispatch, to_ele(op))
    if e is None or "has not enrolled with a conductor" not in str(e):
        fail("a renewal operation on a router that never enrolled: %s" % e)
ok("renewal operations refused on a router that never enrolled with a conductor")

e = rpc_error(kr.dispatch, to_ele('<security-metadata-key-regenerate xmlns="%s"/>' % NS))
if e is None or e.tag != "access-denied":
    fail("read-only: the model's operation was not refused: %s" % (e and e.tag))
reply = m.dispatch(to_ele('<security-metadata-key-regenerate xmlns="%s"/>' % NS)).xml
found = re.search(r"<metadata-rekey-index[^>]*>([0-9]+)<", reply)
if not found:
    fail("security-metadata-key-regenerate: no index in %s" % reply)
index = found.group(1)
x = wait_for(kr, ("<key-event", "<event>metadata-key-regenerated</event>",
                  "<key-index>%s</key-index>" % index), "for the new metadata key")
if kr.take_notification(block=False) is not None:
    fail("the key-event filter let another notification through")
ok("the model's operation: a new metadata key (index %s), notified as a key-event; "
   "the filtered subscription saw nothing else" % index)
ev.close_session()
kr.close_session()
m.close_session()

# an unknown key gets nowhere
try:
    connect("admin", STRANGER)
    fail("a key that is not the user's was let in")
except AuthenticationError:
    ok("an unknown key: authentication refused")
print("PASS")
