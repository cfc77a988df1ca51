// PgTxn: one push's SyncTxn on PostgreSQL, on a connection whose transaction holds the push's team
// lock (PgStorage::in_team_txn). Records read are kept, and writes (records, answers, log rows)
// gathered, then sent in a few multi-row statements at flush(), where the log rows take their seqs:
// a push of 100 changes to 25 records is about 10 round trips.
//
// The practice library's records (team '*') are shared by every team: a push takes the library's
// lock too, and reads such a record again, before it uses one.
//
// Internal to outpost_sync_server_pg. Ownership: borrows the connection. Threads: the thread that
// runs the push. Failure: the failed statement's Status; nothing is committed here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "outpost/sync/server_storage.h"
#include "pg_connection.h"

namespace outpost::sync::pg {

class PgTxn final : public SyncTxn {
public:
    explicit PgTxn(Conn& c) : m_c(c) {}

    Result<std::vector<ChangeResult>> prior_results(const std::string& device, std::int64_t from,
                                                    std::int64_t to) override;
    Status save_results(const std::string& device, const std::vector<ChangeResult>& results) override;
    Status prefetch(const std::vector<std::string>& ids) override;
    Result<std::optional<StoredRecord>> record(const std::string& id) override;
    Status put_record(const std::string& id, const StoredRecord& rec, bool is_new, std::int64_t now) override;
    Status add_blob_ref(const std::string& team, const std::string& hash) override;
    Status append_change(const WireChange& c, std::int64_t now) override;

    // Sends the gathered writes; called once, after the body, before COMMIT. The log rows take their
    // seqs here, last, so a push holds seqs (and slows pulls down) only for its final round trips.
    [[nodiscard]] Status flush();

private:
    struct Kept {
        std::optional<StoredRecord> record;
        bool stored = false;  // in the table before this push
        bool dirty = false;
        bool read_locked = false;  // read while this push held the library's lock
        std::int64_t created_ms = 0;
    };
    struct Logged {
        WireChange change;
        std::int64_t at_ms;
    };
    struct Saved {  // one push's answers, for srv_push_batches
        std::string device;
        std::int64_t first = 0;
        std::int64_t last = 0;
        std::string results;
    };

    // Keeps row `row` of `r` (columns type, team, created_by, fields from `col`) as record `id`.
    Status keep(const std::string& id, const Res& r, int row, int col);
    static bool library(const Kept& kept);
    Status lock_library();
    Status flush_records();
    Status flush_answers();
    Status flush_log();

    Conn& m_c;
    bool m_library_locked = false;
    std::map<std::string, Kept> m_records;
    std::vector<Logged> m_log;
    std::vector<Saved> m_saved;
};

}  // namespace outpost::sync::pg
