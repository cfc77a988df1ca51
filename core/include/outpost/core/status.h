// Status and Result<T>: the error values returned across every Outpost module boundary.
//
// Contract:
//  - A Status is either ok, or carries a stable code ("store.passphrase.wrong") and a human message.
//    Codes are listed once, in error_codes.h; tests assert them verbatim. Messages may change.
//  - Both types are [[nodiscard]]: ignoring a failure is a compile error under -Werror.
//  - No exceptions cross a module or a thread: code that calls a throwing library catches and
//    converts to a Status at its boundary.
//  - Value types; safe to copy and move between threads. Not synchronised.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace outpost {

class [[nodiscard]] Status {
public:
    Status() = default;  // ok

    [[nodiscard]] static Status ok() { return Status(); }
    // `code` must be non-empty; use a constant from error_codes.h.
    [[nodiscard]] static Status error(std::string_view code, std::string message);

    [[nodiscard]] bool is_ok() const { return m_code.empty(); }
    explicit operator bool() const { return is_ok(); }

    // Empty when ok.
    [[nodiscard]] const std::string& code() const { return m_code; }
    [[nodiscard]] const std::string& message() const { return m_message; }
    // True when this status carries exactly `code`.
    [[nodiscard]] bool is(std::string_view code) const { return m_code == code; }

    // "ok", or "<code>: <message>".
    [[nodiscard]] std::string to_string() const;

    // Prefixes the message with context, keeping the code: "opening case db: <message>".
    [[nodiscard]] Status with_context(std::string_view context) const;

    friend bool operator==(const Status& a, const Status& b) = default;

private:
    std::string m_code;
    std::string m_message;
};

// Either a value of T or a failed Status. Constructing from an ok Status is a programming error.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_value(std::move(value)) {}         // NOLINT(google-explicit-constructor)
    Result(Status status) : m_status(std::move(status)) {  // NOLINT(google-explicit-constructor)
        assert(!m_status.is_ok() && "Result built from an ok Status has no value");
        if (m_status.is_ok()) {
            m_status = Status::error("core.internal.error", "Result constructed from ok status");
        }
    }

    [[nodiscard]] bool is_ok() const { return m_value.has_value(); }
    explicit operator bool() const { return is_ok(); }

    // Precondition: is_ok().
    [[nodiscard]] T& value() & {
        assert(is_ok());
        return *m_value;
    }
    [[nodiscard]] const T& value() const& {
        assert(is_ok());
        return *m_value;
    }
    [[nodiscard]] T&& value() && {
        assert(is_ok());
        return std::move(*m_value);
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    // Ok status when a value is held.
    [[nodiscard]] const Status& status() const { return m_status; }

    [[nodiscard]] T value_or(T fallback) const& { return is_ok() ? *m_value : std::move(fallback); }

private:
    std::optional<T> m_value;
    Status m_status;
};

}  // namespace outpost

namespace outpost {
// The failure a Status or a Result carries, for OUTPOST_TRY.
[[nodiscard]] inline const Status& status_of(const Status& s) {
    return s;
}
template <typename T>
[[nodiscard]] const Status& status_of(const Result<T>& r) {
    return r.status();
}
}  // namespace outpost

// The one unwrap: returns early from a function returning Status or Result<U> when `expr`, a Status
// or a Result<T>, failed. `expr` is evaluated once; a Result keeps its value for the caller to use:
//     Result<Row> row = load(id);
//     OUTPOST_TRY(row);
#define OUTPOST_TRY(expr) OUTPOST_TRY_NAMED_(expr, OUTPOST_TRY_CAT_(outpost_try_status_, __COUNTER__))
// A fresh name per use, so that an OUTPOST_TRY inside a lambda inside another shadows nothing.
#define OUTPOST_TRY_CAT_(a, b) OUTPOST_TRY_CAT2_(a, b)
#define OUTPOST_TRY_CAT2_(a, b) a##b
#define OUTPOST_TRY_NAMED_(expr, name)                       \
    do {                                                     \
        ::outpost::Status name = ::outpost::status_of(expr); \
        if (!name.is_ok()) {                                 \
            return name;                                     \
        }                                                    \
    } while (false)
