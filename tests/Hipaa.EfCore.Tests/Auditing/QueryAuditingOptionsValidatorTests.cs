using Hipaa.Auditing;
using Hipaa.EfCore.Auditing;

namespace Hipaa.EfCore.Tests.Auditing;

/// <summary>Query auditing options are checked at start-up; every problem is listed with the value seen.</summary>
public sealed class QueryAuditingOptionsValidatorTests
{
    [Fact]
    public void Defaults_AreValid() =>
        Assert.True(new QueryAuditingOptionsValidator().Validate(null, new QueryAuditingOptions()).Succeeded);

    [Theory]
    [InlineData(ReadAuditCommit.PerPatient)]
    [InlineData(ReadAuditCommit.PerQuery)]
    public void EachReadAuditCommit_IsValid(ReadAuditCommit commit) =>
        Assert.True(new QueryAuditingOptionsValidator().Validate(null, new QueryAuditingOptions { ReadAuditCommit = commit }).Succeeded);

    [Fact]
    public void EveryProblem_IsListedWithItsValue()
    {
        var result = new QueryAuditingOptionsValidator().Validate(null, new QueryAuditingOptions
        {
            MaxBatchSize = 0,
            SealInterval = TimeSpan.Zero,
            ReadAuditCommit = (ReadAuditCommit)7,
        });

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Equal(3, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("MaxBatchSize is 0", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("SealInterval is 00:00:00", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("ReadAuditCommit is 7", StringComparison.Ordinal));
    }
}
