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
    private readonly CachedResolver _source;

    /// <summary>Loads the specification.</summary>
    public R4ValidatorFixture()
    {
        _source = new CachedResolver(ZipSource.CreateValidationSource());
        _validator = new Validator(_source, LocalTerminologyService.CreateDefaultForCore(_source));
    }

    /// <summary>
    /// Whether the R4 specification defines <paramref name="code"/> in the code system <paramref name="system"/>, and its
    /// display. The validator checks only required bindings; the codes of extensible bindings (purposes, security labels,
    /// policy rules) are checked with this.
    /// </summary>
    public async System.Threading.Tasks.Task<(bool Defined, string? Display)> LookupAsync(string system, string code)
    {
        if (await _source.ResolveByCanonicalUriAsync(system) is not CodeSystem codeSystem)
        {
            throw new InvalidOperationException($"The R4 specification has no code system {system}.");
        }

        static CodeSystem.ConceptDefinitionComponent? Find(IEnumerable<CodeSystem.ConceptDefinitionComponent> concepts, string code)
        {
            foreach (CodeSystem.ConceptDefinitionComponent concept in concepts)
            {
                if (concept.Code == code)
                {
                    return concept;
                }

                if (Find(concept.Concept, code) is { } found)
                {
                    return found;
                }
            }

            return null;
        }

        return Find(codeSystem.Concept, code) is { } defined ? (true, defined.Display) : (false, null);
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
