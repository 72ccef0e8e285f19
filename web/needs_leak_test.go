package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jiujinan/jiujinan/kernel"
)

// fullWidth writes ASCII digits and X as full-width forms.
func fullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune('０' + (r - '0'))
		case r == 'X':
			b.WriteRune('Ｘ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func spaced(s string, groups ...int) string {
	var parts []string
	for _, g := range groups {
		parts = append(parts, s[:g])
		s = s[g:]
	}
	return strings.Join(append(parts, s), " ")
}

// TestNeedPersonalDataNeverLeaks posts needs whose fields, title, story,
// updates and objections carry the household's names, ID numbers (plain,
// spaced, full-width, lowercase x), phones, address down to the room and
// hospital admission and bed numbers, and what identifies them beyond the
// fields (a neighbour's name, an exact age, a school, a plate, a QQ number
// in 扣扣 with spaces), takes them through the lifecycle, and
// checks every public answer, the search index, the audit log, the plain
// columns of the database and the logs.
func TestNeedPersonalDataNeverLeaks(t *testing.T) {
	each(t, func(t *testing.T, env *testEnv) {
		worker, wp := env.user(kernel.RoleSocialWorker, nil)
		verifier, _ := env.user(kernel.RoleVerifier, nil)
		donor, _ := env.user(kernel.RoleDonor, nil)
		id := idNumber("371725", "19630917", "452")      // ends in a digit or X
		childID := idNumber("371725", "20140302", "087") // a minor member
		secrets := []string{"李桂兰", "桂兰", "赵德胜", "德胜", "李小雨", "小雨", id, id[:6] + " " + id[6:14], childID,
			"13912345678", "1391234", "12345678", "唐庙镇", "李庄村", "15号", "502室", "ZY20263381", "20263381", "17床", "6222021234567890123",
			"王秀兰", "63岁", "六十三", "实验小学", "6F321", "2 8 6 5 1 9"}
		names := []string{"李桂兰", "赵德胜", "李小雨"}
		var ids []string
		// Enough needs in one cell that the region is not coarsened away (k = 5).
		for i := 0; i < 6; i++ {
			b := needBody()
			bn := ben(b)
			bn["id_number"], bn["name"], bn["phone"] = id, "李桂兰", "139-1234-5678"
			bn["address"] = "山东省菏泽市郓城县唐庙镇李庄村3组15号2单元502室"
			bn["members"] = []map[string]any{{"name": "赵德胜", "relation": "spouse"}, {"name": "李小雨", "relation": "child", "id_number": childID}}
			idSpellings := []string{id, spaced(id, 6, 8), fullWidth(id), strings.ToLower(id), spaced(fullWidth(id), 3, 3, 4, 4)}
			b["title"] = fmt.Sprintf("李桂兰（%s）肾衰竭透析求助", idSpellings[i%len(idSpellings)])
			b["story"] = "李桂兰，身份证号" + idSpellings[(i+1)%len(idSpellings)] + "，家住山东省菏泽市郓城县唐庙镇李庄村3组15号2单元502室，" +
				"丈夫赵 德胜常年卧病，女儿小雨在读小学。桂兰于郓城县人民医院住院，住院号：ZY20263381，17床。联系电话 139 1234 5678，" +
				"也可拨打＋86 13912345678 或 " + fullWidth("13912345678") + "。银行卡6222021234567890123。德胜说：感谢大家。" +
				"李桂兰今年63岁（六十三周岁），邻居王秀兰常来照看。小雨在郓城县实验小学读四年级。车牌鲁R·6F321，扣扣：2 8 6 5 1 9 3 7 4。"
			ids = append(ids, env.createNeed(worker, b))
		}
		var public []response
		// The preview before posting.
		pb := needBody()
		pb["title"], pb["story"] = "李桂兰求助", "李桂兰住院号ZY20263381，电话13912345678，家住唐庙镇李庄村3组15号502室"
		ben(pb)["name"] = "李桂兰"
		public = append(public, env.do("POST", "/api/v1/needs/preview", worker, pb))
		for i, nid := range ids {
			public = append(public, env.do("GET", "/api/v1/needs/"+nid+"/preview", worker, nil))
			if r := env.do("POST", "/api/v1/needs/"+nid+"/clearance", verifier, map[string]any{"decision": "cleared", "note": "已核实李桂兰家庭情况"}); r.Status != 200 {
				t.Fatalf("clear: %d %s", r.Status, r.Body)
			}
			pub := env.do("POST", "/api/v1/needs/"+nid+"/publish", worker, nil)
			if pub.Status != 200 {
				t.Fatalf("publish: %d %s", pub.Status, pub.Body)
			}
			public = append(public, pub)
			up := env.do("POST", "/api/v1/needs/"+nid+"/updates", worker, map[string]any{"text": "李桂兰已于17床转入普通病房，赵德胜电话13912345678，住院号ZY20263381"})
			if up.Status != http.StatusCreated {
				t.Fatalf("update: %d %s", up.Status, up.Body)
			}
			public = append(public, up)
			if i == 0 {
				ob := env.do("POST", "/api/v1/needs/"+nid+"/objections", "", map[string]any{"text": "我认识李桂兰，她家住李庄村15号，身份证" + id + "，电话13912345678", "contact": "13912345678"})
				if ob.Status != http.StatusCreated {
					t.Fatalf("objection: %d %s", ob.Status, ob.Body)
				}
				public = append(public, ob, env.do("GET", "/api/v1/needs/"+nid+"/objections", verifier, nil))
			}
		}
		if _, err := env.indexer.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		// The first need stays public in notice while its objection is
		// checked (issue 16): its public answer must not leak either.
		for _, nid := range ids {
			public = append(public, env.do("GET", "/api/v1/needs/"+nid, "", nil))
		}
		for _, q := range []string{"", "?q=透析", "?q=李桂兰", "?q=桂兰", "?q=13912345678", "?region=371725"} {
			public = append(public, env.do("GET", "/api/v1/needs"+q, "", nil))
		}
		// A donor who gave to a need reads its updates (nobody else outside
		// its staff does): scrubbed too.
		env.advance(121 * time.Hour)
		donor, _ = env.user(kernel.RoleDonor, nil)
		staff, _ := env.user(kernel.RoleFederationStaff, nil)
		pr := env.do("POST", "/api/v1/pledges", donor, map[string]any{"target_type": "need", "target_id": ids[1], "amount_fen": 10_000}, "Idempotency-Key", "leak-gift")
		if pr.Status != http.StatusCreated {
			t.Fatalf("pledge: %d %s", pr.Status, pr.Body)
		}
		if r := env.do("POST", "/api/v1/pledges/"+pr.JSON(t)["id"].(string)+"/confirm", staff, nil); r.Status != 200 {
			t.Fatalf("confirm: %d %s", r.Status, r.Body)
		}
		public = append(public, pr, env.do("GET", "/api/v1/needs/"+ids[1]+"/updates", donor, nil))
		for i, r := range public {
			if r.Status >= 300 {
				t.Errorf("answer %d: status %d %s", i, r.Status, r.Body)
			}
			body := string(r.Body)
			for _, s := range secrets {
				if strings.Contains(body, s) {
					t.Errorf("answer %d contains %q: %s", i, s, body)
				}
			}
			for _, s := range names {
				if strings.Contains(body, fullWidth(s)) || strings.Contains(body, strings.Join(strings.Split(s, ""), " ")) {
					t.Errorf("answer %d contains a spelling of %q", i, s)
				}
			}
		}
		// The public GET of a need really shows it (the test would pass vacuously otherwise).
		if g := env.do("GET", "/api/v1/needs/"+ids[1], "", nil); g.Status != 200 || !strings.Contains(string(g.Body), "透析") {
			t.Errorf("public need: %d %s", g.Status, g.Body)
		}
		// Logs, audit details and every plain (non-sealed) column in the database.
		logs := env.logs.String()
		var dump []string
		for _, tbl := range []string{"needs", "beneficiaries", "need_events", "need_objections", "need_updates", "audit_log"} {
			rows, err := env.db.Gorm.Raw("SELECT * FROM " + tbl).Rows()
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for i, col := range cols {
					if strings.HasSuffix(col, "_ct") {
						continue // sealed
					}
					v := vals[i]
					if b, ok := v.([]byte); ok {
						v = string(b)
					}
					dump = append(dump, fmt.Sprintf("%s.%s=%v", tbl, col, v))
				}
			}
			rows.Close()
		}
		all := strings.Join(dump, "\n")
		for _, s := range secrets {
			if i := strings.Index(logs, s); i >= 0 {
				t.Errorf("logs contain %q: %s", s, logs[max(0, i-200):min(len(logs), i+50)])
			}
			if strings.Contains(all, s) {
				t.Errorf("a plain database column contains %q", s)
			}
		}
		// The private record still has it all, for the posting organization.
		worker = env.token(wp)
		p := env.do("GET", "/api/v1/needs/"+ids[0]+"/private", worker, nil)
		if !strings.Contains(string(p.Body), "李桂兰") || !strings.Contains(string(p.Body), id) || !strings.Contains(string(p.Body), "ZY20263381") {
			t.Errorf("private record lost data: %s", p.Body)
		}
	})
}
