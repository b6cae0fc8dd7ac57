// Package browser holds no code: its test drives the console and the widget
// (web/) in Debian's chromium through the npm package playwright-core. The
// Go test starts the whole local stack and an account, then runs the node
// test files in web/tests against it.
package browser
