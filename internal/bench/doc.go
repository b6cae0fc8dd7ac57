// Package bench measures the figures make bench prints (DESIGN §8): the
// DynamoDB requests and capacity each operation of a chat costs, manual
// and auto-assigned, relay latency and loss through the local gateway
// under many concurrent chats beside the bare DynamoDB Local floor, timer
// lateness under the sweeper, auto-assignment's throughput and invariants
// at scale, every function's bootstrap size and cold start under the
// Runtime Interface Emulator beside a hello-world Lambda, and what 1,000
// chats cost in AWS at list prices. Each figure is one line,
// "name: value unit", so runs can be compared line by line.
package bench
