package sepa_test

import (
	"errors"
	"fmt"
	"os"
	"time"

	"membership/members/sepa"
)

func ExampleValidateIBAN() {
	iban, err := sepa.ValidateIBAN("de89 3704 0044 0532 0130 00")
	fmt.Println(iban, err)
	fmt.Println(sepa.FormatIBAN(iban))
	fmt.Println(sepa.MaskIBAN(iban))

	_, err = sepa.ValidateIBAN("DE89370400440532013001")
	fmt.Println(errors.Is(err, sepa.ErrIBANChecksum))
	// Output:
	// DE89370400440532013000 <nil>
	// DE89 3704 0044 0532 0130 00
	// DE89 **** **** **** **30 00
	// true
}

func ExampleMandateReference() {
	fmt.Println(sepa.MandateReference("2024/15", 1))
	// Output: M-2024-15-1
}

func ExampleWritePain008() {
	doc := sepa.Document{
		MessageID:  "FEES-2027-01",
		Created:    time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC),
		Collection: time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC),
		Creditor:   sepa.Creditor{Name: "TV Köln e.V.", ID: "DE98ZZZ09999999999", IBAN: "DE89370400440532013000"},
		Debits: []sepa.Debit{{
			EndToEndID: "FEE-2027-1042", Amount: 4800,
			MandateRef: sepa.MandateReference("1042", 1), MandateSigned: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
			DebtorName: "Jürgen Müller", DebtorIBAN: "GB82 WEST 1234 5698 7654 32",
			Sequence: sepa.SeqRecurrent, Remittance: "Beitrag 2027",
		}},
	}
	if err := sepa.WritePain008(os.Stdout, doc); err != nil {
		fmt.Println(err)
	}
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?>
	// <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.008.001.08" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
	//   <CstmrDrctDbtInitn>
	//     <GrpHdr>
	//       <MsgId>FEES-2027-01</MsgId>
	//       <CreDtTm>2026-12-07T10:00:00</CreDtTm>
	//       <NbOfTxs>1</NbOfTxs>
	//       <CtrlSum>48.00</CtrlSum>
	//       <InitgPty>
	//         <Nm>TV Koeln e.V.</Nm>
	//       </InitgPty>
	//     </GrpHdr>
	//     <PmtInf>
	//       <PmtInfId>FEES-2027-01-RCUR</PmtInfId>
	//       <PmtMtd>DD</PmtMtd>
	//       <NbOfTxs>1</NbOfTxs>
	//       <CtrlSum>48.00</CtrlSum>
	//       <PmtTpInf>
	//         <SvcLvl>
	//           <Cd>SEPA</Cd>
	//         </SvcLvl>
	//         <LclInstrm>
	//           <Cd>CORE</Cd>
	//         </LclInstrm>
	//         <SeqTp>RCUR</SeqTp>
	//       </PmtTpInf>
	//       <ReqdColltnDt>2027-01-04</ReqdColltnDt>
	//       <Cdtr>
	//         <Nm>TV Koeln e.V.</Nm>
	//       </Cdtr>
	//       <CdtrAcct>
	//         <Id>
	//           <IBAN>DE89370400440532013000</IBAN>
	//         </Id>
	//       </CdtrAcct>
	//       <CdtrAgt>
	//         <FinInstnId>
	//           <Othr>
	//             <Id>NOTPROVIDED</Id>
	//           </Othr>
	//         </FinInstnId>
	//       </CdtrAgt>
	//       <ChrgBr>SLEV</ChrgBr>
	//       <CdtrSchmeId>
	//         <Id>
	//           <PrvtId>
	//             <Othr>
	//               <Id>DE98ZZZ09999999999</Id>
	//               <SchmeNm>
	//                 <Prtry>SEPA</Prtry>
	//               </SchmeNm>
	//             </Othr>
	//           </PrvtId>
	//         </Id>
	//       </CdtrSchmeId>
	//       <DrctDbtTxInf>
	//         <PmtId>
	//           <EndToEndId>FEE-2027-1042</EndToEndId>
	//         </PmtId>
	//         <InstdAmt Ccy="EUR">48.00</InstdAmt>
	//         <DrctDbtTx>
	//           <MndtRltdInf>
	//             <MndtId>M-1042-1</MndtId>
	//             <DtOfSgntr>2024-03-01</DtOfSgntr>
	//           </MndtRltdInf>
	//         </DrctDbtTx>
	//         <DbtrAgt>
	//           <FinInstnId>
	//             <Othr>
	//               <Id>NOTPROVIDED</Id>
	//             </Othr>
	//           </FinInstnId>
	//         </DbtrAgt>
	//         <Dbtr>
	//           <Nm>Juergen Mueller</Nm>
	//         </Dbtr>
	//         <DbtrAcct>
	//           <Id>
	//             <IBAN>GB82WEST12345698765432</IBAN>
	//           </Id>
	//         </DbtrAcct>
	//         <RmtInf>
	//           <Ustrd>Beitrag 2027</Ustrd>
	//         </RmtInf>
	//       </DrctDbtTxInf>
	//     </PmtInf>
	//   </CstmrDrctDbtInitn>
	// </Document>
}
