package sepa

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
)

// Pain008Namespace is the namespace of the files WritePain008 produces:
// pain.008.001.08, the version German banks require since November 2023
// (DK "Anlage 3").
const Pain008Namespace = "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"

// WritePain008 validates d and writes it as a SEPA Core direct debit
// initiation (pain.008.001.08) with one <PmtInf> per sequence type in the
// order FRST, RCUR, OOFF, FNAL. Nothing is written if d is invalid; the
// error is then a *FieldError naming the debit and field.
//
// The XML is written by hand into a bufio.Writer instead of encoding/xml
// marshalling: a club run of 10,000 debits must not take seconds or build
// the whole tree in memory, and the element order is fixed by the schema
// anyway (TestPain008ValidatesAgainstXSD keeps it honest).
func WritePain008(w io.Writer, d Document) error {
	c, err := checkDocument(d)
	if err != nil {
		return err
	}
	return writeChecked(w, c)
}

// writeChecked writes an already validated document.
func writeChecked(w io.Writer, c *checkedDocument) error {
	x := &xmlWriter{w: bufio.NewWriterSize(w, 64<<10)}
	x.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	x.raw(`<Document xmlns="` + Pain008Namespace + `" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`)
	x.depth = 1
	x.start("CstmrDrctDbtInitn")

	x.start("GrpHdr")
	x.text("MsgId", c.messageID)
	x.text("CreDtTm", c.created)
	x.int("NbOfTxs", int64(c.count))
	x.amount("CtrlSum", c.total, false)
	x.start("InitgPty")
	x.text("Nm", c.creditorName)
	x.end("InitgPty")
	x.end("GrpHdr")

	for g, idx := range c.groups {
		if len(idx) == 0 {
			continue
		}
		writePaymentInfo(x, c, sequenceOrder[g], idx, c.groupSums[g])
	}

	x.end("CstmrDrctDbtInitn")
	x.raw("\n</Document>\n")
	if err := x.w.Flush(); err != nil {
		// bufio keeps the first write error, so this is also any earlier one.
		return fmt.Errorf("sepa: write pain.008: %w", err)
	}
	return nil
}

func writePaymentInfo(x *xmlWriter, c *checkedDocument, seq SequenceType, idx []int32, sum int64) {
	x.start("PmtInf")
	// MsgId is at most 35, so cut it to leave room for the sequence type;
	// PmtInfId must be unique within the message.
	id := c.messageID
	if len(id) > 30 {
		id = id[:30]
	}
	x.text("PmtInfId", id+"-"+string(seq))
	x.text("PmtMtd", "DD")
	x.int("NbOfTxs", int64(len(idx)))
	x.amount("CtrlSum", sum, false)
	x.start("PmtTpInf")
	x.start("SvcLvl")
	x.text("Cd", "SEPA")
	x.end("SvcLvl")
	x.start("LclInstrm")
	x.text("Cd", "CORE")
	x.end("LclInstrm")
	x.text("SeqTp", string(seq))
	x.end("PmtTpInf")
	x.text("ReqdColltnDt", c.collection)
	x.start("Cdtr")
	x.text("Nm", c.creditorName)
	x.end("Cdtr")
	x.account("CdtrAcct", c.creditorIBAN)
	x.agent("CdtrAgt", c.creditorBIC)
	x.text("ChrgBr", "SLEV")
	x.start("CdtrSchmeId")
	x.start("Id")
	x.start("PrvtId")
	x.start("Othr")
	x.text("Id", c.creditorID)
	x.start("SchmeNm")
	x.text("Prtry", "SEPA")
	x.end("SchmeNm")
	x.end("Othr")
	x.end("PrvtId")
	x.end("Id")
	x.end("CdtrSchmeId")
	for _, i := range idx {
		writeDebit(x, &c.debits[i])
	}
	x.end("PmtInf")
}

func writeDebit(x *xmlWriter, d *checkedDebit) {
	x.start("DrctDbtTxInf")
	x.start("PmtId")
	x.text("EndToEndId", d.endToEndID)
	x.end("PmtId")
	x.amount("InstdAmt", d.amount, true)
	x.start("DrctDbtTx")
	x.start("MndtRltdInf")
	x.text("MndtId", d.mandateRef)
	x.text("DtOfSgntr", d.signed)
	x.end("MndtRltdInf")
	x.end("DrctDbtTx")
	x.agent("DbtrAgt", d.bic)
	x.start("Dbtr")
	x.text("Nm", d.name)
	x.end("Dbtr")
	x.account("DbtrAcct", d.iban)
	if d.remittance != "" {
		x.start("RmtInf")
		x.text("Ustrd", d.remittance)
		x.end("RmtInf")
	}
	x.end("DrctDbtTxInf")
}

// xmlWriter writes indented XML without allocating per element. Errors are
// not checked per call: bufio.Writer remembers the first one and Flush
// reports it.
type xmlWriter struct {
	w     *bufio.Writer
	depth int
	num   [32]byte
}

const indentSpaces = "\n                                                                "

func (x *xmlWriter) raw(s string) { x.w.WriteString(s) }

func (x *xmlWriter) indent() {
	n := 1 + 2*x.depth
	if n > len(indentSpaces) {
		n = len(indentSpaces)
	}
	x.w.WriteString(indentSpaces[:n])
}

func (x *xmlWriter) start(name string) {
	x.indent()
	x.w.WriteByte('<')
	x.w.WriteString(name)
	x.w.WriteByte('>')
	x.depth++
}

func (x *xmlWriter) end(name string) {
	x.depth--
	x.indent()
	x.w.WriteString("</")
	x.w.WriteString(name)
	x.w.WriteByte('>')
}

func (x *xmlWriter) closeTag(name string) {
	x.w.WriteString("</")
	x.w.WriteString(name)
	x.w.WriteByte('>')
}

func (x *xmlWriter) text(name, value string) {
	x.indent()
	x.w.WriteByte('<')
	x.w.WriteString(name)
	x.w.WriteByte('>')
	x.escaped(value)
	x.closeTag(name)
}

func (x *xmlWriter) int(name string, v int64) {
	x.indent()
	x.w.WriteByte('<')
	x.w.WriteString(name)
	x.w.WriteByte('>')
	x.w.Write(strconv.AppendInt(x.num[:0], v, 10))
	x.closeTag(name)
}

func (x *xmlWriter) amount(name string, cents int64, euro bool) {
	x.indent()
	x.w.WriteByte('<')
	x.w.WriteString(name)
	if euro {
		x.w.WriteString(` Ccy="EUR">`)
	} else {
		x.w.WriteByte('>')
	}
	x.w.Write(appendCents(x.num[:0], cents))
	x.closeTag(name)
}

func (x *xmlWriter) account(name, iban string) {
	x.start(name)
	x.start("Id")
	x.text("IBAN", iban)
	x.end("Id")
	x.end(name)
}

// agent writes a bank; without BIC the EPC rules ask for Othr/Id NOTPROVIDED
// (IBAN-only), which every German bank accepts.
func (x *xmlWriter) agent(name, bic string) {
	x.start(name)
	x.start("FinInstnId")
	if bic != "" {
		x.text("BICFI", bic)
	} else {
		x.start("Othr")
		x.text("Id", "NOTPROVIDED")
		x.end("Othr")
	}
	x.end("FinInstnId")
	x.end(name)
}

// escaped writes s as XML character data. Validated SEPA text never needs
// escaping, but a writer must not depend on that, so the fast path only
// checks for the three characters that matter.
func (x *xmlWriter) escaped(s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		default:
			continue
		}
		x.w.WriteString(s[last:i])
		x.w.WriteString(esc)
		last = i + 1
	}
	x.w.WriteString(s[last:])
}
