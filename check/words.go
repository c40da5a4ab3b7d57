package check

import "fmt"

// plural is "1 trail", "2 trails": check's messages count what they saw.
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
