using Firely.Fhir.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;

namespace Hipaa.Fhir.Tests;

/// <summary>
/// The Firely validator over the base R4 specification (the specification.zip of Hl7.Fhir.Specification.Data.R4), loaded
/// once per test class: loading the specification takes seconds.
/// </summary>
public sealed class R4ValidatorFixture
{
    private readonly Validator _validator;

    /// <summary>Loads the specification.</summary>
    public R4ValidatorFixture()
    {
        var source = new CachedResolver(ZipSource.CreateValidationSource());
        _validator = new Validator(source, LocalTerminologyService.CreateDefaultForCore(source));
    }

    /// <summary>Validates a resource; returns its errors (and fatal issues) as "path: text" lines, and its warnings separately.</summary>
    public (string[] Errors, string[] Warnings) Validate(Resource resource)
    {
        OperationOutcome outcome;
        lock (_validator)
        {
            outcome = _validator.Validate(resource);
        }

        static string Line(OperationOutcome.IssueComponent i) => $"{string.Join(",", i.Expression)}: {i.Details?.Text}";
        return (
            [.. outcome.Issue.Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal).Select(Line)],
            [.. outcome.Issue.Where(i => i.Severity == OperationOutcome.IssueSeverity.Warning).Select(Line)]);
    }
}
