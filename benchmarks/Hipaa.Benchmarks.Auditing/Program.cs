using BenchmarkDotNet.Running;
using Hipaa.Benchmarks.Auditing;

// Audit benchmarks (issue 3); results and the exact commands are in docs/benchmarks-audit.md.
//   SQLite:      dotnet run -c Release --project benchmarks/Hipaa.Benchmarks.Auditing -- --filter '*AuditedQuery*' '*WhoAccessedBenchmarks*' --job short
//   PostgreSQL:  scripts/with-postgres.sh dotnet run -c Release --project benchmarks/Hipaa.Benchmarks.Auditing -- --filter '*Append*' '*WhoAccessedPostgres*' --job short
BenchmarkSwitcher.FromAssembly(typeof(AuditedQueryBenchmarks).Assembly).Run(args);
