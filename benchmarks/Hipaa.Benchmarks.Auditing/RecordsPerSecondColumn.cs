using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Hipaa.Benchmarks.Auditing;

/// <summary>
/// Audit records per second: 10^9 / the mean time per operation in ns × records per operation. An operation is one audit
/// record (OperationsPerInvoke = records written per invocation), except where the case has a <c>Batch</c> parameter: then
/// one operation is one batch of that many records. For the throughput benchmarks this is records/s for the whole
/// instance, all writers together.
/// </summary>
public sealed class RecordsPerSecondColumn : IColumn
{
    public string Id => nameof(RecordsPerSecondColumn);

    public string ColumnName => "Records/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Audit records stored per second (all writers together): 1 s / Mean × records per operation (1, or Batch)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        return statistics is null || statistics.Mean <= 0
            ? "NA"
            : (1e9 * RecordsPerOperation(benchmarkCase) / statistics.Mean).ToString("N0", CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    private static int RecordsPerOperation(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Batch")?.Value is int batch ? batch : 1;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public override string ToString() => ColumnName;
}

/// <summary>The configuration of the throughput benchmarks: the default columns plus records/s.</summary>
public sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig() => AddColumn(new RecordsPerSecondColumn());
}

/// <summary>The default columns plus the 95th percentile and the maximum of the iteration means.</summary>
public sealed class LatencyConfig : ManualConfig
{
    public LatencyConfig() => AddColumn(StatisticColumn.P95, StatisticColumn.Max);
}
