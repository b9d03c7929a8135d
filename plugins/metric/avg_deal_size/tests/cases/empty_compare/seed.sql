-- Worked out by hand. Won and closed in Q1 2025: 1000.00, 250.50 and one
-- without an amount (unknown, not 0: issue 11): 3 deals, 1250.50, average
-- over the 2 known amounts 625.25. The lost deal and the deal won on 2025-04-01 do not count. The
-- comparison period (Q4 2024) lies before the first opportunity (created
-- 2025-01-02), so the host reports every previous value as "no data" (null),
-- never 0 (docs/decisions.md, issue 12).
INSERT INTO reps (id, name) VALUES (1, 'Ada');
INSERT INTO opportunities (id, owner_id, amount, status, created_at, closed_at) VALUES
  (1, 1, 1000.00, 'won',  '2025-01-02', '2025-01-15'),
  (2, 1,  250.50, 'won',  '2025-01-02', '2025-02-03'),
  (3, 1,    NULL, 'won',  '2025-01-02', '2025-03-03'),
  (4, 1, 5000.00, 'lost', '2025-01-02', '2025-03-04'),
  (5, 1,  700.00, 'won',  '2025-01-02', '2025-04-01');
