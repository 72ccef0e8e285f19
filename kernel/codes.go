package kernel

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"golang.org/x/text/width"
)

// The code lists of DOMAIN.md with their Chinese and English labels. Codes
// are what the API, the database and the index carry; labels are for people.

// Label is a code's name in Chinese and English.
type Label struct {
	Zh string `json:"zh"`
	En string `json:"en"`
}

// Category is what a need is for.
type Category string

const (
	CatBasicLiving Category = "basic_living"
	CatMedical     Category = "medical"
	CatEducation   Category = "education"
	CatHousing     Category = "housing"
	CatEmployment  Category = "employment"
	CatDisaster    Category = "disaster"
	CatFuneral     Category = "funeral"
	CatHeating     Category = "heating"
	CatLegal       Category = "legal"
	CatCare        Category = "care"
)

// Categories lists every category in display order.
var Categories = []Category{CatBasicLiving, CatMedical, CatEducation, CatHousing, CatEmployment, CatDisaster, CatFuneral, CatHeating, CatLegal, CatCare}

// CategoryLabels names the categories.
var CategoryLabels = map[Category]Label{
	CatBasicLiving: {"基本生活", "Basic living"}, CatMedical: {"医疗", "Medical"}, CatEducation: {"教育", "Education"},
	CatHousing: {"住房", "Housing"}, CatEmployment: {"就业", "Employment"}, CatDisaster: {"受灾", "Disaster"},
	CatFuneral: {"殡葬", "Funeral"}, CatHeating: {"取暖", "Heating"}, CatLegal: {"司法/法律", "Legal"}, CatCare: {"照料", "Care"},
}

// Valid reports whether c is a known category.
func (c Category) Valid() bool { _, ok := CategoryLabels[c]; return ok }

// HouseholdType is a recognised kind of household in hardship.
type HouseholdType string

const (
	HHDibao               HouseholdType = "dibao"
	HHTekun               HouseholdType = "tekun"
	HHDibaoEdge           HouseholdType = "dibao_edge"
	HHExpenditureHardship HouseholdType = "expenditure_hardship"
	HHOrphan              HouseholdType = "orphan"
	HHUnsupportedChild    HouseholdType = "unsupported_child"
	HHSevereDisability    HouseholdType = "severe_disability"
	HHElderlyAlone        HouseholdType = "elderly_alone"
	HHPovertyRisk         HouseholdType = "poverty_risk"
)

// HouseholdTypes lists every household type in display order.
var HouseholdTypes = []HouseholdType{HHDibao, HHTekun, HHDibaoEdge, HHExpenditureHardship, HHOrphan, HHUnsupportedChild, HHSevereDisability, HHElderlyAlone, HHPovertyRisk}

// HouseholdTypeLabels names the household types.
var HouseholdTypeLabels = map[HouseholdType]Label{
	HHDibao: {"低保", "Minimum living allowance"}, HHTekun: {"特困", "Extreme poverty support"},
	HHDibaoEdge: {"低保边缘", "Just above the minimum line"}, HHExpenditureHardship: {"支出型困难", "Hardship from necessary spending"},
	HHOrphan: {"孤儿", "Orphan"}, HHUnsupportedChild: {"事实无人抚养儿童", "De facto unsupported child"},
	HHSevereDisability: {"重度残疾", "Severe disability"}, HHElderlyAlone: {"独居老人", "Elderly living alone"},
	HHPovertyRisk: {"易返贫致贫", "At risk of poverty"},
}

// Valid reports whether h is a known household type.
func (h HouseholdType) Valid() bool { _, ok := HouseholdTypeLabels[h]; return ok }

// Service is a kind of help a volunteer can give and a need can ask for.
type Service string

const (
	SvcDailyHelp         Service = "daily_help"
	SvcPsychological     Service = "psychological_support"
	SvcEmotional         Service = "emotional_support"
	SvcResourceLinking   Service = "resource_linking"
	SvcSkillsTraining    Service = "skills_training"
	SvcSocialIntegration Service = "social_integration"
	SvcHomeCare          Service = "home_care"
	SvcHospitalEscort    Service = "hospital_escort"
	SvcLegalAid          Service = "legal_aid"
	SvcJobGuidance       Service = "job_guidance"
	SvcTutoring          Service = "tutoring"
	SvcHomeRepair        Service = "home_repair"
)

// Services lists every service in display order.
var Services = []Service{SvcDailyHelp, SvcPsychological, SvcEmotional, SvcResourceLinking, SvcSkillsTraining, SvcSocialIntegration, SvcHomeCare, SvcHospitalEscort, SvcLegalAid, SvcJobGuidance, SvcTutoring, SvcHomeRepair}

// ServiceLabels names the services.
var ServiceLabels = map[Service]Label{
	SvcDailyHelp: {"生活帮扶", "Daily help"}, SvcPsychological: {"心理疏导", "Counselling"}, SvcEmotional: {"精神慰藉", "Emotional support"},
	SvcResourceLinking: {"资源链接", "Linking resources"}, SvcSkillsTraining: {"能力提升", "Skills training"},
	SvcSocialIntegration: {"社会融入", "Social integration"}, SvcHomeCare: {"上门照料", "Home care"},
	SvcHospitalEscort: {"陪诊陪护", "Hospital escort"}, SvcLegalAid: {"法律援助", "Legal aid"}, SvcJobGuidance: {"就业指导", "Job guidance"},
	SvcTutoring: {"助学辅导", "Tutoring"}, SvcHomeRepair: {"房屋修缮", "Home repair"},
}

// Valid reports whether s is a known service.
func (s Service) Valid() bool { _, ok := ServiceLabels[s]; return ok }

// Programme is a statutory relief programme of the payment record: one of
// Programmes, or a programme the record holds under its own name (see
// NamedProgramme). A code is at most 12 ASCII bytes (the import's row
// layouts); stored codes never change meaning.
type Programme string

const (
	ProgDibao      Programme = "dibao"
	ProgTekun      Programme = "tekun"
	ProgTemporary  Programme = "temporary"
	ProgMedical    Programme = "medical"
	ProgEducation  Programme = "education"
	ProgHousing    Programme = "housing"
	ProgEmployment Programme = "employment"
	ProgDisaster   Programme = "disaster"
	// The categorical allowances civil affairs pay to the same households.
	ProgOrphan             Programme = "orphan"       // 孤儿基本生活费
	ProgUnsupportedChild   Programme = "unsupported"  // 事实无人抚养儿童基本生活补贴
	ProgDisabilityLiving   Programme = "disability"   // 困难残疾人生活补贴
	ProgDisabilityCare     Programme = "severe_care"  // 重度残疾人护理补贴
	ProgPriceSubsidy       Programme = "price"        // 价格临时补贴
	ProgElderlyAllowance   Programme = "aged"         // 高龄津贴
	ProgElderlyPoorSubsidy Programme = "elderly_poor" // 经济困难老年人补贴
)

// Programmes lists every statutory programme with a code.
var Programmes = []Programme{ProgDibao, ProgTekun, ProgTemporary, ProgMedical, ProgEducation, ProgHousing, ProgEmployment, ProgDisaster,
	ProgOrphan, ProgUnsupportedChild, ProgDisabilityLiving, ProgDisabilityCare, ProgPriceSubsidy, ProgElderlyAllowance, ProgElderlyPoorSubsidy}

// ProgrammeLabels names the programmes.
var ProgrammeLabels = map[Programme]Label{
	ProgDibao: {"低保金", "Minimum living allowance"}, ProgTekun: {"特困供养金", "Extreme poverty support"},
	ProgTemporary: {"临时救助", "Temporary relief"}, ProgMedical: {"医疗救助", "Medical relief"},
	ProgEducation: {"教育救助", "Education relief"}, ProgHousing: {"住房救助", "Housing relief"},
	ProgEmployment: {"就业救助", "Employment relief"}, ProgDisaster: {"受灾人员救助", "Disaster relief"},
	ProgOrphan:             {"孤儿基本生活费", "Orphan living allowance"},
	ProgUnsupportedChild:   {"事实无人抚养儿童基本生活补贴", "Living allowance for de facto unsupported children"},
	ProgDisabilityLiving:   {"困难残疾人生活补贴", "Living allowance for disabled people in hardship"},
	ProgDisabilityCare:     {"重度残疾人护理补贴", "Care allowance for the severely disabled"},
	ProgPriceSubsidy:       {"价格临时补贴", "Temporary price subsidy"},
	ProgElderlyAllowance:   {"高龄津贴", "Old-age allowance"},
	ProgElderlyPoorSubsidy: {"经济困难老年人补贴", "Allowance for elderly people in hardship"},
}

// Valid reports whether p is a programme with a code (not a named one).
func (p Programme) Valid() bool { _, ok := ProgrammeLabels[p]; return ok }

// namedProgrammePrefix starts the code of a programme recorded under its
// own name; no programme code starts with it.
const namedProgrammePrefix = "n_"

// NamedProgramme is the code under which the payment record holds a
// programme it has no code for, by its normalized name (see
// NormalizeProgrammeName): "n_" and 10 hex digits of the SHA-256 of the
// name, so that the same name always has the same code and payments of
// different names stay apart. The name itself is kept beside the record.
func NamedProgramme(name string) Programme {
	sum := sha256.Sum256([]byte(name))
	return Programme(namedProgrammePrefix + hex.EncodeToString(sum[:5]))
}

// Named reports whether p is the code of a programme recorded under its
// own name.
func (p Programme) Named() bool {
	return len(p) == len(namedProgrammePrefix)+10 && strings.HasPrefix(string(p), namedProgrammePrefix)
}

// NormalizeProgrammeName is a programme name as the record keeps it: without
// surrounding space, full-width letters, digits, punctuation and spaces made
// half-width, and runs of space made one.
func NormalizeProgrammeName(s string) string {
	return strings.Join(strings.Fields(width.Fold.String(s)), " ")
}

// Urgency is how soon a need must be met.
type Urgency string

const (
	UrgencyEmergency Urgency = "emergency"
	UrgencyUrgent    Urgency = "urgent"
	UrgencyNormal    Urgency = "normal"
)

// UrgencyLabels names the urgencies.
var UrgencyLabels = map[Urgency]Label{
	UrgencyEmergency: {"紧急", "Emergency"}, UrgencyUrgent: {"急", "Urgent"}, UrgencyNormal: {"一般", "Normal"},
}

// Valid reports whether u is a known urgency.
func (u Urgency) Valid() bool { _, ok := UrgencyLabels[u]; return ok }

// Rank orders urgencies: 3 for emergency down to 1 for normal.
func (u Urgency) Rank() int {
	switch u {
	case UrgencyEmergency:
		return 3
	case UrgencyUrgent:
		return 2
	case UrgencyNormal:
		return 1
	}
	return 0
}

// AgeBand is the only age a public need shows.
type AgeBand string

const (
	AgeUnder14 AgeBand = "under_14"
	Age14to17  AgeBand = "14_17"
	Age18to59  AgeBand = "18_59"
	Age60Plus  AgeBand = "60_plus"
)

// AgeBandLabels names the bands; under_14 is shown only as "minor".
var AgeBandLabels = map[AgeBand]Label{
	AgeUnder14: {"未成年人", "Minor"}, Age14to17: {"14–17岁", "14–17"}, Age18to59: {"18–59岁", "18–59"}, Age60Plus: {"60岁以上", "60 and over"},
}
