// Package rmbwords writes an amount of renminbi in Chinese capital numerals
// (大写金额), as receipts and bank documents carry it beside the figures,
// and reads such words back.
//
// The rules are those of 《正确填写票据和结算凭证的基本规定》: the capital
// digits 零壹贰叁肆伍陆柒捌玖 and units 拾佰仟万亿元角分; 整 after 元 when
// there are no 角 and 分; one 零 for a run of zeros between non-zero digits,
// also across a 万 or 亿 group; 零 after 元 when 角 is 0 and 分 is not
// (壹拾元零伍分); 拾 always after a digit (壹拾元整). Where the rules leave
// a 零 optional (a 元 digit of 0 before 角: 壹佰元伍角, not 壹佰元零伍角), it
// is left out.
//
// It imports the standard library only.
package rmbwords
