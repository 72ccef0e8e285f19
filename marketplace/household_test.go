package marketplace

import (
	"strings"
	"testing"

	"github.com/jiujinan/jiujinan/kernel"
)

func TestRoleOfRelation(t *testing.T) {
	for _, tc := range []struct {
		relation string
		want     kernel.HouseholdRole
	}{
		{"户主", kernel.RoleHead},
		{" 户主本人 ", kernel.RoleHead},
		{"Head of household", kernel.RoleHead},
		{"户主之子", kernel.RoleChild},
		{"户主的妻子", kernel.RoleSpouse},
		{"配偶", kernel.RoleSpouse},
		{"妻子", kernel.RoleSpouse},
		{"丈夫", kernel.RoleSpouse},
		{"spouse", kernel.RoleSpouse},
		{"儿子", kernel.RoleChild},
		{"女儿", kernel.RoleChild},
		{"长子", kernel.RoleChild},
		{"child", kernel.RoleChild},
		{"父亲", kernel.RoleParent},
		{"母亲", kernel.RoleParent},
		{"继母", kernel.RoleParent},
		{"兄弟姐妹", kernel.RoleSibling},
		{"姐姐", kernel.RoleSibling},
		{"弟弟", kernel.RoleSibling},
		{"祖父", kernel.RoleGrandparent},
		{"外祖母", kernel.RoleGrandparent},
		{"奶奶", kernel.RoleGrandparent},
		{"Grandfather", kernel.RoleGrandparent},
		{"孙子", kernel.RoleGrandchild},
		{"外孙女", kernel.RoleGrandchild},
		{"儿媳", kernel.RoleMember},
		{"女婿", kernel.RoleMember},
		{"姐夫", kernel.RoleMember},
		{"侄子", kernel.RoleMember},
		{"表哥", kernel.RoleMember},
		{"mother-in-law", kernel.RoleMember},
		{"邻居", kernel.RoleMember},
		{"", kernel.RoleMember},
	} {
		t.Run(tc.relation, func(t *testing.T) {
			if got := RoleOfRelation(tc.relation); got != tc.want {
				t.Errorf("RoleOfRelation(%q) = %s, want %s", tc.relation, got, tc.want)
			}
		})
	}
}

func TestHouseholdOfLeavesOutMembersWithoutIDAndRepeats(t *testing.T) {
	p, _ := NewPseudonymizer([]byte(strings.Repeat("k", 32)))
	const self, head = "11010519491231002X", "110105194912310029"
	id := &Identity{IDNumber: self, Members: []Member{
		{Name: "甲", Relation: "母亲"},                                  // no ID number
		{Name: "乙", Relation: "户主", IDNumber: head},                  // the head
		{Name: "丙", Relation: "本人", IDNumber: strings.ToLower(self)}, // the beneficiary again
		{Name: "丁", Relation: "配偶", IDNumber: head},                  // the head again
	}}
	got := HouseholdOf(p, id)
	want := []HouseholdMember{{0, p.Of(self), kernel.RoleBeneficiary}, {2, p.Of(head), kernel.RoleHead}}
	if len(got) != len(want) {
		t.Fatalf("household %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("member %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
