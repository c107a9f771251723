package rws_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"

	"github.com/trialsync/trialsync/sync/rws"
	simrws "github.com/trialsync/trialsync/sync/sim/rws"
)

// Walking the audit-record feed: store Page.Next as given and follow it with FollowNext; a page may
// be empty while Next still points on; the last page has no Next.
func ExampleClient_AuditRecords() {
	s, err := simrws.Start("127.0.0.1:0", simrws.Options{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	o := s.Options()
	c, err := rws.New(rws.Config{BaseURL: s.URL(), Auth: rws.BasicAuth(o.User, o.Password)})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	p, err := c.AuditRecords(ctx, "ALPHA(Prod)", 1, 5000)
	records := 0
	for err == nil {
		var body []byte
		body, err = io.ReadAll(p.Body) // in the pull engine: the ODM reader, then one transaction
		p.Body.Close()
		if err != nil {
			break // a cut or truncated page: Retryable(err) says fetch the same page again
		}
		records += bytes.Count(body, []byte("<ClinicalData "))
		if p.Next == "" {
			break
		}
		p, err = c.FollowNext(ctx, p.Next)
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(records == int(s.TotalRecords()), records)
	// Output: true 336
}
