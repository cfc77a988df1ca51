// The pieces the bulk message codecs share (push requests and pull pages carry the same change; the
// push, pull and snapshot readers end a message the same way). Private to outpost_sync_protocol.
//
// Thread-safety: pure functions. Failure: sync.protocol.malformed naming the change or message, or
// sync.push.value_too_large for a value over kMaxValueBytes.
#pragma once

#include <string>

#include "json_reader.h"
#include "outpost/core/status.h"
#include "outpost/sync/sync_messages.h"

namespace outpost::sync {

// Reads change number `index` (from 0) of a list into `c`; `pulled` changes carry device and author
// too. Every member must be there once and no other; errors name the change and the member.
[[nodiscard]] Status read_change(JsonReader& r, std::size_t index, bool pulled, WireChange& c);
// Appends `c` as JSON; `pulled` adds device and author. An empty value is written as null.
void write_change(std::string& out, const WireChange& c, bool pulled);

// The end of a bulk message: `read` (the result of reading its object) is ok, nothing trails it, and
// every member `need` names (as bits of `seen`) was there; `what` names the message and `members` its
// members in errors.
[[nodiscard]] Status finish_message(JsonReader& r, const Status& read, unsigned seen, unsigned need, const char* what,
                                    const char* members);

// A value over the limit in what the server sent is the server's doing, not this laptop's push:
// sync.push.value_too_large becomes sync.pull.value_too_large; any other status is returned as it is.
[[nodiscard]] Status as_pulled(Status s);

}  // namespace outpost::sync
