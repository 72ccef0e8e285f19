package marketplace

import (
	"context"
	"fmt"
	"strings"

	"github.com/jiujinan/jiujinan/kernel"
)

// HouseholdMember is one member of a need's household as screening
// compares it: the pseudonym of the member's ID number and the member's
// role. Ordinal is the member's place (0 the beneficiary, i the i-th
// member entered): it keeps the household in the order it was entered.
type HouseholdMember struct {
	Ordinal   int
	Pseudonym string
	Role      kernel.HouseholdRole
}

// relationRoles maps words of a free-text relation to roles, tried in
// order: the first rule one of whose words the relation contains wins.
// The order matters: 外祖父 holds 父, 孙子 and 侄子 hold 子, 姐夫 holds 夫,
// so grandparents, grandchildren and the relatives screening does not
// name come before the words they contain.
var relationRoles = []struct {
	role  kernel.HouseholdRole
	words []string
}{
	// In-laws, nephews and nieces, cousins: members, not the role their
	// last character would suggest.
	{kernel.RoleMember, []string{"媳", "婿", "嫂", "姐夫", "妹夫", "侄", "甥", "堂", "表", "公公", "婆婆", "岳", "in-law", "nephew", "niece", "cousin"}},
	{kernel.RoleGrandparent, []string{"祖父", "祖母", "外祖", "爷爷", "奶奶", "外公", "外婆", "姥", "grandparent", "grandfather", "grandmother"}},
	{kernel.RoleGrandchild, []string{"孙", "grandchild", "grandson", "granddaughter"}},
	{kernel.RoleSpouse, []string{"配偶", "妻", "夫", "爱人", "老伴", "spouse", "wife", "husband"}},
	{kernel.RoleParent, []string{"父", "母", "爸", "妈", "爹", "娘", "parent", "father", "mother"}},
	{kernel.RoleSibling, []string{"兄", "弟", "姐", "妹", "哥", "sibling", "brother", "sister"}},
	{kernel.RoleChild, []string{"子", "女", "儿", "child", "son", "daughter"}},
}

// headWords are removed from a relation that names the head, to see
// whether anything else is said.
var headWords = strings.NewReplacer("户主", "", "本人", "", "household", "", "head", "", "of", "", "(", "", ")", "",
	"（", "", "）", "", " ", "", "　", "", "之", "", "的", "")

// RoleOfRelation maps the relation a worker typed for a household member
// (free text, ≤20 characters) to a role; what it does not know is
// RoleMember.
func RoleOfRelation(relation string) kernel.HouseholdRole {
	r := strings.ToLower(strings.TrimSpace(relation))
	// 户主 alone (or 户主本人, head of household) is the head; 户主之子,
	// 户主的妻子 say what the member is to the head.
	if strings.Contains(r, "户主") || strings.Contains(r, "head") {
		rest := headWords.Replace(r)
		if rest == "" {
			return kernel.RoleHead
		}
		r = rest
	}
	for _, rule := range relationRoles {
		for _, w := range rule.words {
			if strings.Contains(r, w) {
				return rule.role
			}
		}
	}
	return kernel.RoleMember
}

// HouseholdOf returns the household of an identity as screening compares
// it: the beneficiary (ordinal 0), then each member entered with an ID
// number, by role. A member without an ID number cannot be found in the
// payment record and is left out; a member whose ID number is one already
// listed (the beneficiary's own, or an earlier member's) is not listed
// twice.
func HouseholdOf(p *Pseudonymizer, id *Identity) []HouseholdMember {
	self := p.Of(id.IDNumber)
	out := []HouseholdMember{{Ordinal: 0, Pseudonym: self, Role: kernel.RoleBeneficiary}}
	seen := map[string]bool{self: true}
	for i, m := range id.Members {
		if strings.TrimSpace(m.IDNumber) == "" {
			continue
		}
		ps := p.Of(m.IDNumber)
		if seen[ps] {
			continue
		}
		seen[ps] = true
		out = append(out, HouseholdMember{Ordinal: i + 1, Pseudonym: ps, Role: RoleOfRelation(m.Relation)})
	}
	return out
}

// HouseholdBackfill is what BackfillHouseholds did.
type HouseholdBackfill struct {
	// Written is how many needs had their household recorded.
	Written int
	// Unopened lists the public ids of the needs whose identity could not
	// be opened (a key missing from the ring, a damaged record): their
	// household stays unrecorded and screening sees the beneficiary alone.
	Unopened []string
}

// BackfillHouseholds records the household of every need posted before
// households were (migration 00014 cannot: it must open the sealed
// identity), batch needs at a time. It is idempotent: a need whose
// household is recorded is not read again, and one recorded meanwhile by
// another process is left as it is. It never logs or returns an identity.
func (s *NeedService) BackfillHouseholds(ctx context.Context, batch int) (HouseholdBackfill, error) {
	if batch <= 0 {
		batch = 200
	}
	var out HouseholdBackfill
	var after int64
	for {
		hs, err := s.Store.NeedsWithoutHousehold(ctx, after, batch)
		if err != nil {
			return out, fmt.Errorf("needs: backfill households: %w", err)
		}
		for _, h := range hs {
			after = h.NeedID
			var id Identity
			if err := s.open(h.IdentityCT, h.IdentityKID, h.BeneficiaryPublicID, &id); err != nil || id.IDNumber == "" {
				out.Unopened = append(out.Unopened, h.NeedPublicID)
				continue
			}
			ok, err := s.Store.SetHousehold(ctx, h.NeedID, HouseholdOf(s.Pseudonymizer, &id))
			if err != nil {
				return out, fmt.Errorf("needs: backfill household of %s: %w", h.NeedPublicID, err)
			}
			if ok {
				out.Written++
			}
		}
		if len(hs) < batch {
			return out, nil
		}
	}
}
