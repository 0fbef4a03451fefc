using Hipaa.Auditing;
using Microsoft.Extensions.Options;

namespace Hipaa.EfCore.Auditing;

/// <summary>Validates <see cref="QueryAuditingOptions"/> at start-up, listing every problem and the value it saw.</summary>
internal sealed class QueryAuditingOptionsValidator : IValidateOptions<QueryAuditingOptions>
{
    public ValidateOptionsResult Validate(string? name, QueryAuditingOptions options)
    {
        var problems = new List<string>();
        if (options.MaxBatchSize is < 1 or > 10_000)
        {
            problems.Add($"MaxBatchSize is {options.MaxBatchSize}; it must be between 1 and 10,000.");
        }

        if (options.SealInterval <= TimeSpan.Zero || options.SealInterval > TimeSpan.FromMinutes(10))
        {
            problems.Add($"SealInterval is {options.SealInterval}; it must be more than zero and at most 10 minutes (it is the window in which an unsealed record is not yet tamper-evident).");
        }

        if (!Enum.IsDefined(options.ReadAuditCommit))
        {
            problems.Add($"ReadAuditCommit is {(int)options.ReadAuditCommit}; it must be PerBatch (the default), PerPatient or PerQuery.");
        }

        if (options.ReadAheadRows is < 1 or > 100_000)
        {
            problems.Add($"ReadAheadRows is {options.ReadAheadRows}; it must be between 1 and 100,000 (the results of one batch are held in memory until their records are committed).");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
