"""4 · Analyse: stored locations as fast facts, counted per area, graded A/B/C/D, visits against deals, pre- against post-launch. Tables in, tables out; nothing drawn."""
