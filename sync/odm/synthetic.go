package odm

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
)

// WriteSynthetic writes a synthetic Rave-style clinical export of about size bytes (about 440 bytes per
// row) to w and returns the number of ItemData rows in it. It has what real exports have and parsers trip on: a default ODM
// namespace with mdsol attributes, an AuditRecord on every value, entity and character references,
// non-ASCII text, log lines with repeat keys. The same size and seed give the same bytes.
func WriteSynthetic(w io.Writer, size int64, seed uint64) (int64, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := &countWriter{w: bw}
	rng := rand.New(rand.NewPCG(seed, 0x0d4))
	fmt.Fprintf(cw, `<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="%s" xmlns:mdsol="%s" FileType="Snapshot" FileOID="synthetic-%d" CreationDateTime="2024-11-03T09:12:44" ODMVersion="1.3" mdsol:ProductionGeneratedBy="trialsync">
 <ClinicalData StudyOID="ALPHA(Prod)" MetaDataVersionOID="12" mdsol:AuditSubCategoryName="Entered">
`, uriODM, uriMdsol, seed)
	const tail = " </ClinicalData>\n</ODM>\n"
	var rows int64
	var buf []byte
	for subject := 1; cw.n+int64(len(tail)) < size; subject++ {
		site := 101 + subject%7
		buf = buf[:0]
		buf = fmt.Appendf(buf, `  <SubjectData SubjectKey="%d-%03d" mdsol:SubjectKeyType="SubjectName" mdsol:SubjectName="%d-%03d">
   <SiteRef LocationOID="%d"/>
`, site, subject, site, subject, site)
		for event := 1; event <= 2; event++ {
			buf = fmt.Appendf(buf, `   <StudyEventData StudyEventOID="VISIT%d" StudyEventRepeatKey="%d" mdsol:InstanceId="%d">
    <FormData FormOID="VS" FormRepeatKey="1" mdsol:DataPageId="%d">
`, event, event, subject*10+event, subject*100+event)
			for line := 1; line <= 4; line++ {
				buf = fmt.Appendf(buf, "     <ItemGroupData ItemGroupOID=\"VS_LOG_LINE\" ItemGroupRepeatKey=\"%d\" mdsol:RecordId=\"%d\">\n", line, subject*1000+line)
				for item := 0; item < 5; item++ {
					buf = synthItem(buf, rng, item, site)
					rows++
				}
				buf = append(buf, "     </ItemGroupData>\n"...)
			}
			buf = append(buf, "    </FormData>\n   </StudyEventData>\n"...)
		}
		buf = append(buf, "  </SubjectData>\n"...)
		if _, err := cw.Write(buf); err != nil {
			return rows, err
		}
	}
	if _, err := io.WriteString(cw, tail); err != nil {
		return rows, err
	}
	return rows, bw.Flush()
}

var (
	synthUsers   = []string{"crc.jones", "crc.müller", "inv.ōtani", "dm.garcía"}
	synthReasons = []string{"Data entry &amp; review", "Correction per source &lt;SDV&gt;", "Transcription error",
		"Réconciliation des données", "データ修正"}
	synthText = []string{"Müller", "naïve", "日本語のテスト", "O&apos;Brien &amp; Co", "&#233;valuation", "Ankle &lt;2 cm&gt;"}
)

func synthItem(buf []byte, rng *rand.Rand, item, site int) []byte {
	var oid, value string
	switch item {
	case 0:
		oid, value = "VS.SYSBP", strconv.Itoa(90+rng.IntN(80))
	case 1:
		oid, value = "VS.DIABP", strconv.Itoa(50+rng.IntN(50))
	case 2:
		oid, value = "VS.VSDAT", fmt.Sprintf("2024-%02d-%02d", 1+rng.IntN(12), 1+rng.IntN(28))
	case 3:
		oid, value = "VS.COMMENT", synthText[rng.IntN(len(synthText))]
	default:
		oid, value = "VS.POSITION", "SITTING"
	}
	return fmt.Appendf(buf, `      <ItemData ItemOID="%s" Value="%s" TransactionType="Upsert" mdsol:Freeze="No">
       <AuditRecord>
        <UserRef UserOID="%s"/>
        <LocationRef LocationOID="%d"/>
        <DateTimeStamp>2024-%02d-%02dT%02d:%02d:%02d</DateTimeStamp>
        <ReasonForChange>%s</ReasonForChange>
        <SourceID>%d</SourceID>
       </AuditRecord>
      </ItemData>
`, oid, value, synthUsers[rng.IntN(len(synthUsers))], site, 1+rng.IntN(12), 1+rng.IntN(28), rng.IntN(24),
		rng.IntN(60), rng.IntN(60), synthReasons[rng.IntN(len(synthReasons))], 1000000+rng.IntN(9000000))
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
