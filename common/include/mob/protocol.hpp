// mob wire protocol, version 1 (docs/protocol.md says the same for someone writing
// a worker in another language). Workers hold a DEALER, the kingpin a ROUTER; there
// is no empty delimiter frame. Every message starts with one header frame: the 4 bytes
// "MOB1" and the command byte (one frame, not two: every frame costs on every hop);
// what follows depends on the command:
//
//   worker -> broker                          broker -> worker
//   HELLO      [hello]                        WELCOME     [welcome]
//   READY      [ready]                        DELIVER     [sender][seq][topic][type][payload]
//   HEARTBEAT                                 ERROR       [seq][error]
//   SEND       [seq][target][topic][type][payload]
//   REJECT     [sender][seq][error]           HEARTBEAT
//   GOODBYE                                   STOP
//                                             HELLO_AGAIN
//   CALL       [call head][args]
//                                             REQUEST     [call head][args]
//   REPLY      [outcome][body]
//                                             RESULT      [outcome][body]
//   INVOKE     [seq][origin][callback][types][args]
//                                             INVOKED     [invoker][seq][callback][types][args]
//   RELEASE    [origin][callback]             RELEASED    [holder][callback]
//   SCALE      [call][role][delta]            (answered with RESULT)
//
// [seq], [call] and [callback] are 8 bytes, unsigned little-endian; [delta] is 4 bytes,
// signed little-endian; [target] is one kind byte and a UTF-8 value; [hello], [welcome],
// [ready] and [error] are cereal portable-binary bodies; [call head] and [outcome] pack a
// call's fixed fields into one frame (call_head, outcome below: the calls are the hot
// path, and every frame costs on every hop); [topic], [type], [types], [sender],
// [origin], [role] and [method] are UTF-8 text; [payload], [args] and [body] are opaque
// to the broker.
#pragma once

#include "mob/protocol/commands.hpp"
#include "mob/protocol/envelope.hpp"
#include "mob/protocol/fields.hpp"
#include "mob/protocol/messages.hpp"

namespace mob::protocol {
using namespace v1;  // the current version
}
