// The demo company's fixed vocabularies: regions, industries, products,
// stages, collateral, reasons. Kept apart from the generator's logic so the
// "what" can be read (and tuned) without the "how".
#pragma once

#include <array>

namespace tally::demo::catalog {

struct Region {
  const char* name;
  const char* prefix;    // team names: "NA East"
  double account_share;  // share of accounts (and so of leads and deals)
  double account_execs;  // account executives at scale 1
  std::array<const char*, 3> territories;
};
inline constexpr std::array<Region, 3> kRegions = {{
    {"North America", "NA", 0.45, 15, {"East", "West", "Central"}},
    {"EMEA", "EMEA", 0.33, 11, {"North", "South", "DACH"}},
    {"APAC", "APAC", 0.22, 6, {"ANZ", "Asia", "India"}},
}};

struct Country {
  const char* name;
  int region;
  double weight;  // within its region
};
inline constexpr std::array<Country, 16> kCountries = {{
    {"United States", 0, 7},
    {"Canada", 0, 2},
    {"Mexico", 0, 1},
    {"United Kingdom", 1, 3},
    {"Germany", 1, 3},
    {"France", 1, 2},
    {"Netherlands", 1, 1},
    {"Sweden", 1, 1},
    {"Spain", 1, 1},
    {"United Arab Emirates", 1, 0.5},
    {"South Africa", 1, 0.5},
    {"Australia", 2, 2},
    {"Japan", 2, 2},
    {"Singapore", 2, 1.5},
    {"India", 2, 2},
    {"New Zealand", 2, 0.5},
}};

struct Industry {
  const char* name;
  double weight;
  double lead_quality;  // ICP fit: multiplies lead conversion
  double win;           // multiplies deal win probability
  std::array<const char*, 3> name_suffixes;
};
inline constexpr std::array<Industry, 10> kIndustries = {{
    {"Software", 14, 1.35, 1.10, {"Software", "Labs", "Systems"}},
    {"Financial Services", 11, 1.15, 0.95, {"Capital", "Financial", "Partners"}},
    {"Healthcare", 10, 0.95, 0.90, {"Health", "Medical", "Care"}},
    {"Manufacturing", 12, 0.90, 1.00, {"Industries", "Manufacturing", "Works"}},
    {"Retail", 10, 0.80, 0.90, {"Retail", "Stores", "Brands"}},
    {"Logistics", 8, 1.05, 1.05, {"Logistics", "Freight", "Transport"}},
    {"Education", 7, 0.70, 0.85, {"Learning", "Academy", "Education"}},
    {"Media", 6, 0.85, 0.95, {"Media", "Studios", "Publishing"}},
    {"Energy", 6, 1.00, 1.00, {"Energy", "Power", "Utilities"}},
    {"Professional Services", 16, 1.10, 1.05, {"Consulting", "Advisors", "Group"}},
}};

inline constexpr std::array<const char*, 40> kCompanyWords = {
    "Northwind", "Bluepeak", "Summit",    "Ironwood", "Clearwater", "Redstone",  "Silverline", "Brightpath",
    "Oakridge",  "Harbor",   "Evergreen", "Granite",  "Lakeshore",  "Pinecrest", "Sunfield",   "Westbrook",
    "Crescent",  "Falcon",   "Maple",     "Horizon",  "Keystone",   "Riverbend", "Stonegate",  "Bluewater",
    "Cedar",     "Aurora",   "Vantage",   "Meridian", "Pioneer",    "Atlas",     "Beacon",     "Cobalt",
    "Juniper",   "Lumen",    "Nimbus",    "Orchard",  "Quarry",     "Sterling",  "Tidewater",  "Zenith",
};

inline constexpr std::array<const char*, 32> kFirstNames = {
    "Olivia",  "Liam",  "Emma",  "Noah",  "Ava",   "Lucas",  "Mia",    "Ethan",  "Sofia",  "Mateo",  "Amara",
    "Hiroshi", "Priya", "Jonas", "Chloe", "Diego", "Leila",  "Marcus", "Ingrid", "Kenji",  "Fatima", "Oscar",
    "Nadia",   "Tomas", "Grace", "Arjun", "Elena", "Samuel", "Yuki",   "Hannah", "Rafael", "Zoe",
};
inline constexpr std::array<const char*, 32> kLastNames = {
    "Carter",    "Nguyen", "Schmidt", "Okafor",   "Tanaka", "Rossi",   "Hughes", "Patel",
    "Larsen",    "Moreau", "Silva",   "Kowalski", "Brooks", "Fischer", "Haddad", "Mehta",
    "Lindqvist", "Walsh",  "Chen",    "Alvarez",  "Becker", "Dubois",  "Evans",  "Garcia",
    "Ito",       "Jensen", "Khan",    "Murphy",   "Novak",  "Ortiz",   "Reyes",  "Sato",
};

struct Title {
  const char* name;
  double weight;
  double lead_quality;
};
inline constexpr std::array<Title, 12> kTitles = {{
    {"VP Sales", 8, 1.45},
    {"Head of Marketing", 9, 1.10},
    {"CTO", 6, 1.00},
    {"Operations Manager", 12, 0.80},
    {"CFO", 4, 1.20},
    {"Sales Manager", 11, 1.25},
    {"IT Director", 7, 0.90},
    {"CEO", 5, 1.30},
    {"Marketing Manager", 12, 0.90},
    {"Procurement Lead", 5, 0.65},
    {"Head of Customer Success", 6, 1.05},
    {"Data Analyst", 8, 0.60},
}};

struct Source {
  const char* name;
  double lead_weight;     // share of inbound leads
  double rep_weight;      // share of deals reps source themselves
  double mql;             // multiplies lead -> MQL
  double win;             // multiplies deal win probability
  bool business_hours;    // created by people at work (vs. web forms at any hour)
  double response_speed;  // multiplies first-response minutes
};
inline constexpr std::array<Source, 7> kSources = {{
    {"web", 30, 0, 1.00, 1.00, false, 0.8},
    {"referral", 8, 15, 1.50, 1.45, true, 1.0},
    {"paid_search", 18, 0, 0.85, 0.85, false, 0.7},
    {"events", 10, 15, 1.10, 1.00, true, 2.5},
    {"outbound", 16, 55, 0.80, 0.80, true, 1.5},
    {"partner", 8, 15, 1.40, 1.20, true, 1.2},
    {"social", 10, 0, 0.75, 0.85, false, 1.3},
}};

enum Segment { kSmb = 0, kMidMarket = 1, kEnterprise = 2 };
struct SegmentDef {
  const char* name;
  double account_share;
  int min_employees, max_employees;
  double median_amount;      // annual contract value of a new deal
  double median_cycle_days;  // created -> won
  double win;
  double users_base;  // product users per subscription
};
inline constexpr std::array<SegmentDef, 3> kSegments = {{
    {"smb", 0.55, 5, 199, 8000, 24, 1.15, 1},
    {"mid_market", 0.33, 200, 1999, 30000, 55, 1.00, 2},
    {"enterprise", 0.12, 2000, 60000, 120000, 115, 0.75, 4},
}};

struct Product {
  const char* name;
  const char* family;
  double list_price;
  double amount_factor;
  std::array<double, 3> segment_weight;
};
inline constexpr std::array<Product, 5> kProducts = {{
    {"Core Platform", "Platform", 6000, 1.00, {6, 5, 3}},
    {"Analytics Cloud", "Platform", 15000, 1.40, {1, 3, 4}},
    {"Forecasting Add-on", "Add-on", 4000, 0.60, {2, 2, 2}},
    {"Integrations Pack", "Add-on", 2500, 0.45, {2, 2, 1}},
    {"Enterprise Suite", "Suite", 60000, 1.80, {0, 0.5, 3}},
}};

struct Stage {
  const char* name;
  double probability;
  bool closed, won;
  double duration_weight;  // relative time deals spend in it
};
inline constexpr int kOpenStages = 5;
inline constexpr int kClosedWon = 5;
inline constexpr int kClosedLost = 6;
inline constexpr std::array<Stage, 7> kStages = {{
    {"Prospecting", 0.10, false, false, 0.8},
    {"Qualification", 0.20, false, false, 1.0},
    {"Discovery", 0.40, false, false, 1.4},
    {"Proposal", 0.60, false, false, 1.3},
    {"Negotiation", 0.80, false, false, 1.0},
    {"Closed Won", 1.00, true, true, 0},
    {"Closed Lost", 0.00, true, false, 0},
}};
// Where lost new-business deals die (the funnel leaks most early).
inline constexpr std::array<double, 5> kLossStageWeights = {0.20, 0.26, 0.24, 0.18, 0.12};

enum ActivityType {
  kCall,
  kEmail,
  kReply,
  kConversation,
  kMeeting,
  kDemo,
  kProposal,
  kReferralRequest,
  kSocial
};
inline constexpr std::array<const char*, 9> kActivityTypes = {
    "call", "email", "reply", "conversation", "meeting", "demo", "proposal", "referral_request", "social"};
// Activity mix per open stage, indexed by ActivityType.
inline constexpr std::array<std::array<double, 9>, 5> kStageActivityMix = {{
    {4, 4, 2, 1, 0.5, 0, 0, 0, 1.5},
    {3, 3, 2, 2, 2, 0.5, 0, 0, 0.5},
    {2, 2, 1.5, 2, 3, 3, 0, 0, 0},
    {1.5, 2.5, 1.5, 1.5, 2, 1, 3, 0, 0},
    {2.5, 3, 2, 2.5, 1.5, 0, 1, 0, 0},
}};

struct Collateral {
  const char* name;
  const char* type;
  double popularity;  // relative chance a rep picks it
  double win_boost;   // multiplies win probability of deals using it
  int created_day;    // days after the data starts (negative: before)
  int retired_day;    // no use after this many days from the start; 0 = still in use
};
inline constexpr std::array<Collateral, 25> kCollateral = {{
    {"ROI Calculator", "roi_calculator", 10, 1.30, -300, 0},
    {"Corporate Overview Deck", "deck", 14, 1.00, -500, 0},
    {"Case Study: Northwind Logistics", "case_study", 8, 1.25, -200, 0},
    {"Competitive Battlecard: Salesforge", "battlecard", 7, 1.15, -150, 0},
    {"Pricing Sheet 2024", "pricing_sheet", 9, 1.00, -30, 380},
    {"Pricing Sheet 2025", "pricing_sheet", 9, 1.00, 360, 0},
    {"Product Demo Deck", "deck", 8, 1.05, -400, 0},
    {"Case Study: Summit Health", "case_study", 5, 1.20, 45, 0},
    {"Security Whitepaper", "whitepaper", 5, 1.05, -600, 0},
    {"Competitive Battlecard: Closewise", "battlecard", 4, 1.10, 120, 0},
    {"Implementation Guide", "whitepaper", 4, 1.00, -250, 0},
    {"Case Study: Bluepeak Capital", "case_study", 3.5, 1.15, 200, 0},
    {"Executive Brief", "deck", 3, 1.00, -100, 0},
    {"Analytics Cloud Datasheet", "datasheet", 3, 1.00, -350, 0},
    {"Forecasting Add-on Datasheet", "datasheet", 2.5, 1.00, -350, 0},
    {"Customer Testimonial Video", "video", 2, 1.05, 300, 0},
    {"Partner Program Overview", "deck", 1.5, 1.00, -200, 0},
    {"Industry Report: Retail", "whitepaper", 1.2, 1.00, 90, 0},
    {"Industry Report: Manufacturing", "whitepaper", 1.0, 1.00, 90, 0},
    {"Integrations Catalogue", "datasheet", 0.8, 1.00, -500, 0},
    {"Legacy Product Deck", "deck", 2.0, 0.95, -700, 200},
    {"Webinar Recording: Pipeline Hygiene", "video", 1.0, 1.00, -400, 240},
    {"Case Study: Ironwood Manufacturing", "case_study", 0.6, 1.10, 500, 0},
    {"Onboarding Checklist", "checklist", 0, 1.00, -300, 0},  // never used on deals
    {"Brand Guidelines", "guide", 0, 1.00, -800, 0},          // never used on deals
}};

inline constexpr std::array<const char*, 5> kLossReasons = {"price", "no decision", "competitor", "timing",
                                                            "missing feature"};
inline constexpr std::array<double, 5> kLossReasonWeights = {25, 24, 22, 16, 13};
inline constexpr std::array<const char*, 5> kCompetitors = {"Salesforge", "Closewise", "Pipedream CRM",
                                                            "DealCloud One", "FunnelWorks"};
inline constexpr std::array<double, 5> kCompetitorWeights = {35, 25, 20, 12, 8};
inline constexpr std::array<const char*, 5> kChurnReasons = {
    "price", "moved to competitor", "no longer needed", "poor onboarding", "budget cuts"};
inline constexpr std::array<double, 5> kChurnReasonWeights = {24, 20, 18, 14, 24};
// The loss reason recorded on a lost renewal, per churn reason.
inline constexpr std::array<const char*, 5> kChurnLossReason = {"price", "competitor", "no decision",
                                                                "missing feature", "timing"};

inline constexpr std::array<const char*, 9> kTimeCategories = {
    "selling",           "prospecting", "presenting", "data_entry", "admin",
    "internal_meetings", "travel",      "training",   "prep"};
// Typical share of the working day per category, for account executives, SDRs and managers.
inline constexpr std::array<double, 9> kExecTime = {0.41, 0.11, 0.07, 0.08, 0.09, 0.09, 0.05, 0.04, 0.06};
inline constexpr std::array<double, 9> kSdrTime = {0.15, 0.40, 0.02, 0.12, 0.10, 0.09, 0.00, 0.06, 0.06};
inline constexpr std::array<double, 9> kManagerTime = {0.20, 0.03, 0.05, 0.07, 0.20, 0.30, 0.06, 0.04, 0.05};

inline constexpr std::array<const char*, 4> kPriorities = {"low", "normal", "high", "urgent"};
inline constexpr std::array<double, 4> kPriorityWeights = {30, 45, 20, 5};

}  // namespace tally::demo::catalog
