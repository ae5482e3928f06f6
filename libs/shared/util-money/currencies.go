package money

import "strings"

// minorUnits maps every active ISO 4217 alphabetic code (funds and precious
// metals excluded) to its number of decimal places.
var minorUnits = func() map[string]int {
	const (
		two = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD " +
			"CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ " +
			"GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA " +
			"MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR " +
			"RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD " +
			"TWD TZS UAH USD UYU UZS VES WST XCD XCG YER ZAR ZMW ZWG"
		zero  = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"
		three = "BHD IQD JOD KWD LYD OMR TND"
	)
	m := map[string]int{}
	for d, list := range []string{zero, "", two, three} {
		for _, c := range strings.Fields(list) {
			m[c] = d
		}
	}
	return m
}()

// MinorUnits returns the number of decimal places of an ISO 4217 currency
// and whether the code is known.
func MinorUnits(code string) (int, bool) {
	d, ok := minorUnits[code]
	return d, ok
}
