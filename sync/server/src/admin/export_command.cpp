// export: a team's cases or suggestions, or the open-data release (exporter.h), to a file, a folder
// of files for people, or the output.
#include "admin_common.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/schema.h"
#include "outpost/sync/admin_commands.h"
#include "outpost/sync/exporter.h"
#include "outpost/sync/form_library.h"

namespace outpost::sync {
namespace {

namespace fs = std::filesystem;

ExportWhat what_of(const AdminArgs& args) {
    return args.what == "cases" ? ExportWhat::kCases : ExportWhat::kSuggestions;
}

// export --out-dir DIR: for people. One CSV per form (labels, not codes) and dictionary.csv, in a new
// folder readable by its owner alone; on any failure the folder is removed.
CommandResult write_export_folder(const AdminArgs& args, AdminEnv& env, const std::vector<ExportRecord>& records,
                                  const std::vector<records::Schema>& forms) {
    if (args.open_data || args.format != "csv") {
        return CommandResult::usage_error(
            "--out-dir writes CSV files for --what cases|suggestions; use --out for the rest");
    }
    std::error_code ec;
    if (fs::exists(args.out_dir, ec) || fs::is_symlink(args.out_dir, ec)) {
        return Status::error(errc::kServerOutputExists,
                             args.out_dir.string() + " already exists; export into a new folder");
    }
    if (!fs::create_directories(args.out_dir, ec) || ec) {
        return Status::error(errc::kIo, "cannot create " + args.out_dir.string() + ": " + ec.message());
    }
    fs::permissions(args.out_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    auto abandon = [&](const Status& why) {
        std::error_code ignored;
        fs::remove_all(args.out_dir, ignored);
        return why;
    };
    int files = 0;
    for (const records::Schema* form : export_forms(forms, what_of(args))) {
        if (Status s = admin::write_new_file(args.out_dir / (form->type + ".csv"), export_form_csv(records, *form));
            !s.is_ok()) {
            return abandon(s);
        }
        ++files;
    }
    if (Status s = admin::write_new_file(args.out_dir / "dictionary.csv", export_dictionary_csv(forms, what_of(args)));
        !s.is_ok()) {
        return abandon(s);
    }
    env.out << "Wrote " << files << " form file(s) and dictionary.csv to " << args.out_dir.string() << "\n";
    return CommandResult::ok();
}

}  // namespace

CommandResult run_export(const AdminArgs& args, AdminEnv& env) {
    if (args.format != "csv" && args.format != "json") {
        return CommandResult::usage_error("--format is csv or json");
    }
    if (!args.open_data && (args.team.empty() || (args.what != "cases" && args.what != "suggestions"))) {
        return CommandResult::usage_error("export needs --team TEAM and --what cases|suggestions, or --open-data");
    }
    auto storage = open_storage(args, env.storage);
    OUTPOST_TRY(storage);
    // The forms as the server serves them: the latest version of each (every earlier version's fields
    // are still in it).
    OUTPOST_TRY(seed_forms_from(**storage, records::bundled_forms_dir(), env.clock.now_ms()));
    Result<FormSet> library = load_form_set(**storage);
    OUTPOST_TRY(library);
    std::vector<records::Schema> forms;
    for (const auto& [type, versions] : library->versions) {
        forms.push_back(versions.rbegin()->second);
    }
    std::vector<std::string> teams = {args.team};
    if (args.open_data) {
        auto all = (*storage)->teams();
        OUTPOST_TRY(all);
        teams = std::move(*all);
    }
    std::vector<ExportRecord> records;
    for (const std::string& team : teams) {
        auto part = read_team_records(**storage, forms, team);
        OUTPOST_TRY(part);
        records.insert(records.end(), std::make_move_iterator(part->begin()), std::make_move_iterator(part->end()));
    }
    if (!args.out_dir.empty()) {
        return write_export_folder(args, env, records, forms);
    }
    std::string text;
    if (args.open_data) {
        const auto rows = open_data(records, forms);
        text = args.format == "csv" ? open_data_csv(rows) : open_data_json(rows);
    } else {
        text = args.format == "csv" ? export_csv(records, forms, what_of(args))
                                    : export_json(records, forms, what_of(args));
    }
    if (args.out.empty()) {
        env.out << text;
        if (!env.out) {
            return Status::error(errc::kIo, "cannot write the export to the output");
        }
        return CommandResult::ok();
    }
    // Records of people: a new file readable by its owner only, never through a link, never over a file.
    OUTPOST_TRY(admin::write_new_file(args.out, text));
    return CommandResult::ok();
}

}  // namespace outpost::sync
