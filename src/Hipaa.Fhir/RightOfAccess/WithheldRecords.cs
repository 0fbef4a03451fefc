using System.Globalization;
using Hipaa.Policy;
using Hl7.Fhir.Model;

namespace Hipaa.Fhir;

/// <summary>
/// The records of a right-of-access export that policy withheld, counted per category and rule, and the notice that tells
/// the patient about them (45 CFR 164.524(d)(2): the basis for the denial, whether it may be reviewed, how to complain) as a
/// FHIR <see cref="OperationOutcome"/>: one issue per category, severity <c>information</c>, code <c>suppressed</c>
/// ("not returned due to business rules, consent or privacy rules"), the rule as a coding of <c>urn:hipaa-sdk:policy-rule</c>,
/// the category as a coding of <c>urn:hipaa-sdk:data-category</c>, the sentence in <c>details.text</c> and the citation in
/// <c>diagnostics</c>. Never the content, author, date or id of a withheld record.
/// </summary>
internal sealed class WithheldRecords
{
    /// <summary>The code system of the policy engine's rule ids.</summary>
    public const string PolicyRuleSystem = "urn:hipaa-sdk:policy-rule";

    /// <summary>The code system of data categories (as <see cref="FhirConsentMapper"/> writes them).</summary>
    public const string DataCategorySystem = "urn:hipaa-sdk:data-category";

    /// <summary>The rules that withhold a record from the patient without refusing the request.</summary>
    private static readonly HashSet<string> WithholdingRules = new(StringComparer.Ordinal) { "patient.notes-excluded", "patient.category-not-available" };

    private readonly List<(DataCategory Category, PolicyRule Rule, int Count)> _withheld = [];

    public int Count => _withheld.Sum(w => w.Count);

    public bool IsEmpty => _withheld.Count == 0;

    /// <summary>Whether a deny only withholds the record (rather than refusing the whole request).</summary>
    public static bool Withholds(AccessDecision decision) => !decision.IsPermitted && WithholdingRules.Contains(decision.Rule.Id);

    public void Add(DataCategory category, PolicyRule rule)
    {
        int index = _withheld.FindIndex(w => w.Category == category && ReferenceEquals(w.Rule, rule));
        if (index < 0)
        {
            _withheld.Add((category, rule, 1));
        }
        else
        {
            _withheld[index] = (category, rule, _withheld[index].Count + 1);
        }
    }

    /// <summary>For the disclosure record: "2 PsychotherapyNote (patient.notes-excluded)", comma-separated.</summary>
    public string Describe() =>
        string.Join(", ", _withheld.Select(w => string.Create(CultureInfo.InvariantCulture, $"{w.Count} {w.Category.Name} ({w.Rule.Id})")));

    public OperationOutcome ToOperationOutcome(string? complaintContact)
    {
        var outcome = new OperationOutcome();
        foreach ((DataCategory category, PolicyRule rule, int count) in _withheld)
        {
            outcome.Issue.Add(new OperationOutcome.IssueComponent
            {
                Severity = OperationOutcome.IssueSeverity.Information,
                Code = OperationOutcome.IssueType.Suppressed,
                Details = new CodeableConcept
                {
                    Coding =
                    [
                        new Coding(PolicyRuleSystem, rule.Id, rule.Explanation),
                        new Coding(DataCategorySystem, category.Name),
                    ],
                    Text = Notice(category, rule, count, complaintContact),
                },
                Diagnostics = rule.Citation,
            });
        }

        return outcome;
    }

    private static string Notice(DataCategory category, PolicyRule rule, int count, string? complaintContact)
    {
        string what = string.Create(CultureInfo.InvariantCulture, $"{count} {(count == 1 ? "record" : "records")} of the category {category.Name}");
        string complain = complaintContact is null
            ? "You may complain about this to the practice or to the Secretary of Health and Human Services (45 CFR 164.524(d)(2)(iii))."
            : $"You may complain about this to the practice ({complaintContact}) or to the Secretary of Health and Human Services (45 CFR 164.524(d)(2)(iii)).";
        return rule.Id == "patient.notes-excluded"
            ? $"{what} {(count == 1 ? "is" : "are")} not included in this copy: psychotherapy notes and SUD counseling notes are excluded from the right of access ({rule.Citation}). This ground for denial is not subject to review (45 CFR 164.524(a)(2)(i)). {complain}"
            : $"{what} {(count == 1 ? "is" : "are")} not included in this copy: the practice does not provide this category of record through this export ({rule.Citation}). You may ask the practice for it. {complain}";
    }
}
