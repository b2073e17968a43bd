package event

import (
	"encoding/json"
	"testing"
)

// TestMessages pins the JSON of every postMessage, which public/embed.js
// mirrors by hand: a change here must change the loader too.
func TestMessages(t *testing.T) {
	for _, tt := range []struct {
		msg  any
		want string
	}{
		{NewHeight(612), `{"forgefit":1,"type":"height","height":612}`},
		{NewReady(), `{"forgefit":1,"type":"ready"}`},
		{NewAnswer("internal-it", "capable-team", 0), `{"forgefit":1,"type":"answer","question":"internal-it","option":"capable-team","index":0}`},
		{NewResult(CoManaged, 0.4), `{"forgefit":1,"type":"result","outcome":"co-managed","margin":0.4}`},
		{NewCTA("book-call", CoManaged), `{"forgefit":1,"type":"cta","cta":"book-call","outcome":"co-managed"}`},
		{NewCTA("book-call", ""), `{"forgefit":1,"type":"cta","cta":"book-call","outcome":""}`},
		{NewError(StartUnknownPartner, "…"), `{"forgefit":1,"type":"error","code":"unknown_partner","message":"…"}`},
		{NewConsent(false), `{"forgefit":1,"type":"consent","granted":false}`},
		{NewRoute("/pricing"), `{"forgefit":1,"type":"route","path":"/pricing"}`},
	} {
		got, err := json.Marshal(tt.msg)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.want {
			t.Errorf("%T:\n got %s\nwant %s", tt.msg, got, tt.want)
		}
		var h Header
		if err := json.Unmarshal(got, &h); err != nil || !h.Ours() {
			t.Errorf("%s: header %+v, %v; want one of ours", got, h, err)
		}
	}
	var h Header
	if json.Unmarshal([]byte(`{"type":"height","height":1}`), &h); h.Ours() {
		t.Error("a message without the forgefit key counts as ours")
	}
}
