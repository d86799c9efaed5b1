"""A message delivered to a worker, and where a worker sends one."""


class Message:
    """A message delivered to this worker (DELIVER). ``value`` is the decoded payload
    (for a typed handler), ``payload`` the raw bytes."""

    __slots__ = ("sender", "seq", "topic", "type", "payload", "value")

    def __init__(self, sender, seq, topic, type_name, payload, value=None):
        self.sender, self.seq, self.topic = sender, seq, topic
        self.type, self.payload, self.value = type_name, payload, value

    @property
    def sender_role(self):
        """The sender's role: its routing id up to the first ``/``."""
        return self.sender.split("/", 1)[0]

    @property
    def sender_pid(self):
        """The sender's pid, from its routing id (``role/pid@host#nonce``); 0 if none."""
        try:
            return int(self.sender.split("/", 1)[1].split("@", 1)[0])
        except (IndexError, ValueError):
            return 0


class Target:
    """Where a message goes: ``w.to_all()``, ``w.to_role("back")``,
    ``w.to_any("back")``, ``w.to_pid(4242)``, ``w.to_id(routing_id)``."""

    def __init__(self, send, frame):
        self._send, self._frame = send, frame

    def send(self, topic, value, type=None):  # noqa: A002 - the protocol's word
        """Sends `value` as C++ type `type` (else :func:`mob.infer_type`'s) under
        `topic`; returns the seq that an ERROR about it will carry. Success is silent."""
        return self._send(self._frame, topic, value, type)
