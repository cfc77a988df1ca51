// forms check, publish, list, retire and import: the server's forms library (form_library.h). Every
// one first seeds an empty library with the packaged forms, as a server does when it starts.
#include <fstream>
#include <sstream>

#include "admin_common.h"
#include "outpost/core/error_codes.h"
#include "outpost/platform/utf8.h"
#include "outpost/sync/admin_commands.h"
#include "outpost/sync/form_library.h"
#include "outpost/sync/xlsform.h"

namespace outpost::sync {
namespace {

using admin::printable;
using admin::utc_text;

Result<std::string> read_form_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
        return Status::error(errc::kIo, "cannot read " + path_to_utf8(path));
    }
    return text.str();
}

// The form a command names: its text and the name errors give it.
struct FormFile {
    std::string text;
    std::string source;
};

Result<FormFile> form_file(const std::string& arg) {
    const std::filesystem::path path = path_from_utf8(arg);
    Result<std::string> text = read_form_file(path);
    OUTPOST_TRY(text);
    return FormFile{std::move(*text), path_to_utf8(path.filename())};
}

CommandResult publish(ServerStorage& storage, AdminEnv& env, const FormFile& form) {
    Result<int> version = publish_form_text(storage, form.text, form.source, env.clock.now_ms());
    OUTPOST_TRY(version);
    Result<records::Schema> parsed = records::parse_schema(form.text, form.source);
    OUTPOST_TRY(parsed);
    env.out << "Published " << parsed->type << " version " << *version
            << ": served from now on, laptops get it at their next sync\n";
    return CommandResult::ok();
}

CommandResult list(ServerStorage& storage, AdminEnv& env) {
    Result<std::vector<FormSummary>> forms = list_forms(storage);
    OUTPOST_TRY(forms);
    env.out << "form\ttitle\tlatest\tversions\tstate\tpublished\n";
    for (const FormSummary& f : *forms) {
        env.out << printable(f.type) << '\t' << printable(f.title) << '\t' << f.latest << '\t' << f.versions << '\t'
                << (f.retired ? "retired" : "active") << '\t' << utc_text(f.published_ms) << "\n";
    }
    return CommandResult::ok();
}

CommandResult retire(ServerStorage& storage, AdminEnv& env, const std::string& type) {
    Result<std::vector<FormSummary>> forms = list_forms(storage);
    OUTPOST_TRY(forms);
    for (const FormSummary& f : *forms) {
        if (f.type == type && f.retired) {
            env.out << "Form " << printable(type) << " was already retired (version " << f.latest
                    << "); nothing changed\n";
            return CommandResult::ok();
        }
    }
    Result<int> version = retire_form(storage, type, env.clock.now_ms());
    OUTPOST_TRY(version);
    env.out << "Retired " << printable(type) << " (version " << *version
            << "): laptops stop offering it for new records; its records stay readable\n";
    return CommandResult::ok();
}

// An XLSForm workbook: converted, then written to --out for review, or else published.
CommandResult import(ServerStorage& storage, const AdminArgs& args, AdminEnv& env, const std::string& arg) {
    const std::filesystem::path path = path_from_utf8(arg);
    Result<std::string> json = xlsform_to_form_json(path);
    OUTPOST_TRY(json);
    if (!args.out.empty()) {
        OUTPOST_TRY(admin::write_new_file(args.out, *json));
        env.out << "Converted " << printable(path_to_utf8(path.filename())) << " to " << path_to_utf8(args.out)
                << "; check it, then publish it with 'outpost-server forms publish'\n";
        return CommandResult::ok();
    }
    return publish(storage, env, FormFile{std::move(*json), path_to_utf8(path.filename())});
}

}  // namespace

CommandResult run_forms(const AdminArgs& args, AdminEnv& env) {
    const auto& p = args.positional;
    const bool known =
        (p.size() == 1 && p[0] == "list") ||
        (p.size() == 2 && (p[0] == "check" || p[0] == "publish" || p[0] == "retire" || p[0] == "import"));
    if (!known) {
        return CommandResult::usage_error("unknown or incomplete forms command");
    }
    auto storage = open_storage(args, env.storage);
    OUTPOST_TRY(storage);
    OUTPOST_TRY(seed_forms_from(**storage, records::bundled_forms_dir(), env.clock.now_ms()));
    if (p[0] == "list") {
        return list(**storage, env);
    }
    if (p[0] == "retire") {
        return retire(**storage, env, p[1]);
    }
    if (p[0] == "import") {
        return import(**storage, args, env, p[1]);
    }
    Result<FormFile> form = form_file(p[1]);
    OUTPOST_TRY(form);
    if (p[0] == "publish") {
        return publish(**storage, env, *form);
    }
    Result<records::Schema> checked = check_form(**storage, form->text, form->source);
    OUTPOST_TRY(checked);
    env.out << "ok: " << checked->type << " " << printable(checked->title) << "\n";
    return CommandResult::ok();
}

}  // namespace outpost::sync
