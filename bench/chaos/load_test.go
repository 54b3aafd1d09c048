package main

import (
	"strings"
	"testing"
)

func TestMedianOfTakesEachFiguresMedianAndSumsLosses(t *testing.T) {
	rs := []loadResult{
		{p50: "10ms", p99: "30ms", max: "90ms", cpuPer1k: "0.0210", allPer1k: "0.0220", toolCPU: "3.1", lost: 1},
		{p50: "12ms", p99: "20ms", max: "40ms", cpuPer1k: "0.0180", allPer1k: "0.0190", toolCPU: "2.9", dup: 2},
		{p50: "11ms", p99: "25ms", max: "1.2s", cpuPer1k: "0.0195", allPer1k: "0.0230", toolCPU: "3.0"},
	}
	m := medianOf(rs)
	got := []string{m.p50, m.p99, m.max, m.cpuPer1k, m.allPer1k, m.toolCPU}
	want := []string{"11ms", "25ms", "90ms", "0.0195", "0.0220", "3.0"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("figure %d: median %q, want %q (all: %v)", i, got[i], want[i], got)
		}
	}
	if m.lost != 1 || m.dup != 2 {
		t.Errorf("lost/dup %d/%d, want the sums 1/2", m.lost, m.dup)
	}
	// An even count takes the lower middle; a figure a run lacks is skipped.
	m = medianOf([]loadResult{{cpuPer1k: "0.02"}, {cpuPer1k: "0.01"}, {cpuPer1k: ""}})
	if m.cpuPer1k != "0.01" {
		t.Errorf("median of 0.02, 0.01 and a missing figure: %q, want 0.01", m.cpuPer1k)
	}
}

func TestRoundsLineListsEveryRoundOursBesideThePeers(t *testing.T) {
	s := loadStep{name: "1,000 waiting", rate: 5}
	l := roundsLine(s, []loadResult{{allPer1k: "0.0196", p99: "24ms"}, {cpuPer1k: "0.0190", p99: "23ms"}},
		[]loadResult{{cpuPer1k: "0.0182", p99: "25ms"}, {cpuPer1k: "0.0188", p99: "26ms"}})
	for _, want := range []string{"1: 0.0196 / 0.0182 (1.08), 24ms / 25ms", "2: 0.0190 / 0.0188 (1.01), 23ms / 26ms",
		"median of the rounds' CPU ratios 1.01"} {
		if !strings.Contains(l, want) {
			t.Errorf("rounds line %q lacks %q", l, want)
		}
	}
}
