// outpost-xlsform-fixtures: writes the three council forms as XLSForms (assets/forms-xlsx/*.xlsx), the
// way a council's form designer would author them, and optionally imports each with the server's
// converter (outpost/sync/xlsform.h) into a forms folder.
//
//   outpost-xlsform-fixtures XLSX_DIR [JSON_DIR]
//
// A developer tool, not shipped. The workbooks carry a fixed creation date, so a rerun changes only
// what the tables below change.
#include <xlsxwriter.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "outpost/platform/utf8.h"
#include "outpost/sync/xlsform.h"

namespace {

using Rows = std::vector<std::vector<std::string>>;

struct Form {
    std::string file;  // without .xlsx
    Rows survey;
    Rows choices;
    Rows settings;
};

// English and Welsh, with a caring relationship repeat.
Form carers_assessment() {
    Form f;
    f.file = "carers_assessment";
    f.survey = {
        {"type", "name", "label::English (en)", "label::Cymraeg (cy)", "hint::English (en)", "hint::Cymraeg (cy)",
         "required", "relevant", "constraint", "constraint_message::English (en)", "constraint_message::Cymraeg (cy)",
         "appearance"},
        {"date", "assessment_date", "Date of assessment", "Dyddiad yr asesiad", "", "", "yes", "", "", "", "", ""},
        {"text", "carer_name", "Carer's name", "Enw'r gofalwr", "", "", "yes", "", "", "", "", ""},
        {"begin repeat", "people_cared_for", "People you care for", "Pobl rydych chi'n gofalu amdanynt",
         "Add each person you look after.", "Ychwanegwch bob person rydych chi'n gofalu amdano.", "", "", "", "", "",
         ""},
        {"text", "person_name", "Their name", "Eu henw", "", "", "yes", "", "", "", "", ""},
        {"integer", "age", "Their age", "Eu hoedran", "", "", "", "", ". >= 0 and . <= 120",
         "Age must be between 0 and 120", "Rhaid i'r oedran fod rhwng 0 a 120", ""},
        {"select_one relationship", "relationship", "Your relationship to them", "Eich perthynas â nhw", "", "", "yes",
         "", "", "", "", ""},
        {"select_multiple needs", "needs", "What they need help with", "Beth mae angen help arnynt gydag e", "", "", "",
         "", "", "", "", ""},
        {"end repeat", "", "", "", "", "", "", "", "", "", "", ""},
        {"integer", "hours_caring", "Hours caring each week", "Oriau gofalu bob wythnos", "Your best guess is fine.",
         "Mae eich amcangyfrif gorau yn iawn.", "yes", "", ". >= 0 and . <= 168", "A week has 168 hours",
         "Mae 168 awr mewn wythnos", ""},
        {"select_one health", "own_health", "How is your own health?", "Sut mae eich iechyd chi?", "", "", "yes", "",
         "", "", "", ""},
        {"text", "health_impact", "How does caring affect your health?", "Sut mae gofalu yn effeithio ar eich iechyd?",
         "", "", "", "${own_health} = 'fair' or ${own_health} = 'poor'", "", "", "", "multiline"},
        {"select_multiple support", "support_wanted", "Support you would like", "Cymorth yr hoffech ei gael", "", "",
         "", "", "", "", "", ""},
        {"text", "support_other", "What other support would help?", "Pa gymorth arall fyddai'n helpu?", "", "", "yes",
         "selected(${support_wanted}, 'other')", "", "", "", ""},
        {"acknowledge", "consent", "I agree to this assessment being recorded and shared with the carers' support team",
         "Rwy'n cytuno i'r asesiad hwn gael ei gofnodi a'i rannu gyda'r tîm cymorth i ofalwyr", "", "", "yes", "", "",
         "", "", ""},
    };
    f.choices = {
        {"list_name", "name", "label::English (en)", "label::Cymraeg (cy)"},
        {"relationship", "parent", "Parent", "Rhiant"},
        {"relationship", "partner", "Partner", "Partner"},
        {"relationship", "child", "Son or daughter", "Mab neu ferch"},
        {"relationship", "sibling", "Brother or sister", "Brawd neu chwaer"},
        {"relationship", "friend", "Friend or neighbour", "Ffrind neu gymydog"},
        {"relationship", "other", "Other", "Arall"},
        {"needs", "personal_care", "Personal care", "Gofal personol"},
        {"needs", "meals", "Meals", "Prydau bwyd"},
        {"needs", "medication", "Medication", "Meddyginiaeth"},
        {"needs", "mobility", "Getting about", "Symud o gwmpas"},
        {"needs", "supervision", "Keeping safe", "Cadw'n ddiogel"},
        {"needs", "emotional_support", "Emotional support", "Cymorth emosiynol"},
        {"needs", "household", "Housework and shopping", "Gwaith tŷ a siopa"},
        {"health", "good", "Good", "Da"},
        {"health", "fair", "Fair", "Gweddol"},
        {"health", "poor", "Poor", "Gwael"},
        {"support", "respite", "A break from caring", "Seibiant o ofalu"},
        {"support", "carers_group", "A carers' group", "Grŵp gofalwyr"},
        {"support", "financial_advice", "Money and benefits advice", "Cyngor ar arian a budd-daliadau"},
        {"support", "training", "Training", "Hyfforddiant"},
        {"support", "counselling", "Someone to talk to", "Rhywun i siarad â nhw"},
        {"support", "equipment", "Equipment or adaptations", "Offer neu addasiadau"},
        {"support", "other", "Something else", "Rhywbeth arall"},
    };
    f.settings = {
        {"form_id", "form_title", "form_title::Cymraeg (cy)", "version", "default_language", "description"},
        {"carers_assessment", "Carer's assessment", "Asesiad gofalwr", "2025010101", "English (en)",
         "What caring involves for the carer, the people they care for, and the support they would like."},
    };
    return f;
}

// Room by room, with a calculated severity score and priority.
Form housing_disrepair() {
    Form f;
    f.file = "housing_disrepair";
    f.survey = {
        {"type", "name", "label", "hint", "required", "relevant", "constraint", "constraint_message", "calculation",
         "appearance"},
        {"begin group", "property", "The property", "", "", "", "", "", "", ""},
        {"text", "address", "Address", "First line and postcode.", "yes", "", "", "", "", ""},
        {"select_one tenure", "tenure", "Tenure", "", "yes", "", "", "", "", ""},
        {"date", "inspection_date", "Date of inspection", "", "yes", "", "", "", "", ""},
        {"end group", "", "", "", "", "", "", "", "", ""},
        {"note", "rooms_note",
         "Inspect each room in turn. Score damp from 0 (none) to 5 (severe); mould doubles a room's score.", "", "", "",
         "", "", "", ""},
        {"begin repeat", "rooms", "Rooms", "", "", "", "", "", "", ""},
        {"select_one room", "room", "Room", "", "yes", "", "", "", "", ""},
        {"select_multiple issue", "issue", "Issues found", "", "", "", "", "", "", ""},
        {"integer", "damp_severity", "Damp severity (0 to 5)", "0 is none, 5 is severe.", "yes", "",
         ". >= 0 and . <= 5", "Score damp from 0 to 5", "", ""},
        {"calculate", "hazard_score", "", "", "", "", "", "",
         "if(selected(${issue}, 'mould'), ${damp_severity} * 2, ${damp_severity})", ""},
        {"text", "room_notes", "Notes on this room", "", "", "", "", "", "", "multiline"},
        {"end repeat", "", "", "", "", "", "", "", "", ""},
        {"calculate", "severity_score", "Severity score", "", "", "", "", "", "sum(${hazard_score})", ""},
        {"calculate", "priority", "Priority", "", "", "", "", "", "if(${severity_score} >= 10, 'urgent', 'routine')",
         ""},
        {"select_one yes_no", "tenant_present", "Was the tenant present?", "", "yes", "", "", "", "", ""},
        {"text", "works_required", "Works required", "What the landlord must put right.", "yes", "", "", "", "",
         "multiline"},
        {"date", "reinspect_by", "Re-inspect by", "Urgent cases are inspected again within 14 days.", "yes",
         "${priority} = 'urgent'", "", "", "", ""},
    };
    f.choices = {
        {"list_name", "name", "label"},
        {"tenure", "council", "Council tenancy"},
        {"tenure", "housing_association", "Housing association"},
        {"tenure", "private_rented", "Private rented"},
        {"room", "kitchen", "Kitchen"},
        {"room", "bathroom", "Bathroom"},
        {"room", "living_room", "Living room"},
        {"room", "bedroom", "Bedroom"},
        {"room", "hallway", "Hall or landing"},
        {"room", "other", "Other"},
        {"issue", "damp", "Damp"},
        {"issue", "mould", "Mould"},
        {"issue", "leak", "Leak"},
        {"issue", "heating", "Heating or hot water"},
        {"issue", "electrics", "Electrics"},
        {"issue", "windows", "Windows or doors"},
        {"issue", "structure", "Walls, floors or ceilings"},
        {"yes_no", "yes", "Yes"},
        {"yes_no", "no", "No"},
    };
    f.settings = {
        {"form_id", "form_title", "version", "description"},
        {"housing_disrepair", "Housing disrepair inspection", "2025010101",
         "A room-by-room inspection of a tenant's home, with a severity score that sets the priority."},
    };
    return f;
}

// A conversation record in the person's own words.
Form what_matters() {
    Form f;
    f.file = "what_matters";
    f.survey = {
        {"type", "name", "label", "hint", "required", "relevant", "appearance"},
        {"note", "own_words",
         "Write this with the person, in their own words: \"I\", not \"they\". Read it back to them before you save "
         "it.",
         "", "", "", ""},
        {"date", "conversation_date", "Date of our conversation", "", "yes", "", ""},
        {"select_one recorded_with", "recorded_with", "Recorded with", "", "yes", "", ""},
        {"text", "recorded_with_name", "Their name", "", "yes", "${recorded_with} != 'the_person'", ""},
        {"text", "what_matters", "What matters to me", "In my own words.", "yes", "", "multiline"},
        {"text", "what_is_working", "What is working", "", "", "", "multiline"},
        {"text", "what_is_not_working", "What is not working", "", "", "", "multiline"},
        {"text", "what_i_want", "What I want to happen", "", "", "", "multiline"},
        {"text", "who_helps_me", "Who helps me", "People, groups, places.", "", "", "multiline"},
        {"acknowledge", "consent", "I have read this (or had it read to me) and it says what I meant", "", "yes", "",
         ""},
    };
    f.choices = {
        {"list_name", "name", "label"},
        {"recorded_with", "the_person", "The person themselves"},
        {"recorded_with", "family_member", "A family member"},
        {"recorded_with", "carer", "Their carer"},
        {"recorded_with", "advocate", "An advocate"},
        {"recorded_with", "other", "Someone else"},
    };
    f.settings = {
        {"form_id", "form_title", "version", "description"},
        {"what_matters", "What matters to me", "2025010101",
         "A conversation record written with the person, in their own words and their voice."},
    };
    return f;
}

bool write_sheet(lxw_workbook* wb, const char* name, const Rows& rows) {
    lxw_worksheet* ws = workbook_add_worksheet(wb, name);
    if (ws == nullptr) {
        return false;
    }
    for (std::size_t r = 0; r < rows.size(); ++r) {
        for (std::size_t c = 0; c < rows[r].size(); ++c) {
            if (!rows[r][c].empty() && worksheet_write_string(ws, static_cast<lxw_row_t>(r), static_cast<lxw_col_t>(c),
                                                              rows[r][c].c_str(), nullptr) != LXW_NO_ERROR) {
                return false;
            }
        }
    }
    return true;
}

bool write_form(const Form& f, const std::string& dir) {
    const std::string path = dir + "/" + f.file + ".xlsx";
    lxw_workbook* wb = workbook_new(path.c_str());
    if (wb == nullptr) {
        std::fprintf(stderr, "cannot create %s\n", path.c_str());
        return false;
    }
    std::tm created = {};
    created.tm_year = 125;  // 2025-01-01, so that a rerun writes the same properties
    created.tm_mday = 1;
    lxw_doc_properties props = {};
    props.created = timegm(&created);
    props.author = const_cast<char*>("Outpost");
    const bool ok = workbook_set_properties(wb, &props) == LXW_NO_ERROR && write_sheet(wb, "survey", f.survey) &&
                    write_sheet(wb, "choices", f.choices) && write_sheet(wb, "settings", f.settings);
    if (workbook_close(wb) != LXW_NO_ERROR || !ok) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        return false;
    }
    std::printf("wrote %s\n", path.c_str());
    return true;
}

bool import_form(const Form& f, const std::string& xlsx_dir, const std::string& json_dir) {
    auto json = outpost::sync::xlsform_to_form_json(outpost::path_from_utf8(xlsx_dir + "/" + f.file + ".xlsx"));
    if (!json.is_ok()) {
        std::fprintf(stderr, "%s\n", json.status().to_string().c_str());
        return false;
    }
    const std::string path = json_dir + "/" + f.file + ".json";
    std::ofstream out(outpost::path_from_utf8(path), std::ios::binary | std::ios::trunc);
    out << *json;
    if (!out.good()) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        return false;
    }
    std::printf("wrote %s\n", path.c_str());
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: outpost-xlsform-fixtures XLSX_DIR [JSON_DIR]\n");
        return 2;
    }
    for (const Form& f : {carers_assessment(), housing_disrepair(), what_matters()}) {
        if (!write_form(f, argv[1]) || (argc == 3 && !import_form(f, argv[1], argv[2]))) {
            return 1;
        }
    }
    return 0;
}
