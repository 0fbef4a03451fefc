using Hipaa.Policy;
using Hl7.Fhir.Model;

namespace Hipaa.Fhir;

/// <summary>
/// Sensitivity labels and data categories as FHIR security labels (<c>meta.security</c>), for labelling the resources an
/// application exports: a v3-Confidentiality level, the v3-ActCode sensitivity codes, the <c>42CFRPart2</c> policy code on
/// Part 2 records and, where the decision obliges the 42 CFR 2.32 notice, the refrain code <c>NORDSCLCDS</c>.
/// docs/policy.md ("FHIR Consent and security labels") has the table.
/// </summary>
/// <remarks>
/// Confidentiality is <c>V</c> (very restricted) for psychotherapy notes and SUD counseling notes (category, or the
/// <c>PSYTHPN</c> label), <c>R</c> (restricted) for any other record with a sensitivity label, <c>N</c> (normal) otherwise.
/// A record labelled <see cref="SensitivityLabel.SubstanceUseDisorder"/> is a 42 CFR Part 2 record, as for the policy engine.
/// </remarks>
public static class FhirSecurityLabels
{
    private static readonly string[] ConfidentialityOrder = ["U", "L", "M", "N", "R", "V"];

    // The codes under _ActInformationSensitivityPolicy in the R4 v3-ActCode (2018-08-12) of Hl7.Fhir.Specification.Data.R4.
    private static readonly HashSet<string> SensitivityCodes =
    [
        "ETH", "GDIS", "HIV", "MST", "SCA", "SDV", "SEX", "SPI", "BH", "COGN", "DVD", "EMOTDIS", "MH", "PSY", "PSYTHPN",
        "SUD", "ETHUD", "OPIOIDUD", "STD", "TBOO", "VIO", "SICKLE",
    ];

    /// <summary>Gets the HL7 confidentiality code system: <c>http://terminology.hl7.org/CodeSystem/v3-Confidentiality</c>.</summary>
    public static string ConfidentialitySystem => "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";

    /// <summary>
    /// Gets the HL7 code system of the sensitivity (<c>SUD</c>, <c>PSY</c> …), privacy-law (<c>42CFRPart2</c>) and refrain
    /// (<c>NORDSCLCDS</c>) codes: <c>http://terminology.hl7.org/CodeSystem/v3-ActCode</c>.
    /// </summary>
    public static string ActCodeSystem => "http://terminology.hl7.org/CodeSystem/v3-ActCode";

    /// <summary>The security labels of a record.</summary>
    /// <param name="category">The record's data category.</param>
    /// <param name="labels">The record's sensitivity labels.</param>
    /// <param name="decision">
    /// The decision that permitted the export or disclosure, if any; its <see cref="Obligation.RedisclosureNotice"/> adds the
    /// refrain code <c>NORDSCLCDS</c> ("no redisclosure without information subject's consent directive").
    /// </param>
    /// <returns>The confidentiality code first, then the sensitivity codes in the order given, then the policy and refrain codes.</returns>
    /// <exception cref="ArgumentException">A label is <c>default(SensitivityLabel)</c>.</exception>
    public static IReadOnlyList<Coding> For(DataCategory category, IEnumerable<SensitivityLabel> labels, AccessDecision? decision = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var codes = new List<string>();
        foreach (SensitivityLabel label in labels)
        {
            if (label.IsEmpty)
            {
                throw new ArgumentException("A sensitivity label is empty (default(SensitivityLabel)).", nameof(labels));
            }

            if (!codes.Contains(label.Code))
            {
                codes.Add(label.Code);
            }
        }

        if (category == DataCategory.PsychotherapyNote && !codes.Contains(SensitivityLabel.PsychotherapyNote.Code))
        {
            codes.Add(SensitivityLabel.PsychotherapyNote.Code);
        }

        bool notice = decision?.HasObligation(Obligation.RedisclosureNotice) == true;
        bool part2 = notice || codes.Contains(SensitivityLabel.SubstanceUseDisorder.Code);
        string confidentiality = category.IsSeparatelyKeptNote || codes.Contains(SensitivityLabel.PsychotherapyNote.Code) ? "V"
            : codes.Count > 0 || part2 ? "R"
            : "N";

        var security = new List<Coding> { Confidentiality(confidentiality) };
        security.AddRange(codes.Select(code => new Coding(ActCodeSystem, code)));
        if (part2)
        {
            security.Add(new Coding(ActCodeSystem, "42CFRPart2", "42 CFR Part2"));
        }

        if (notice)
        {
            security.Add(new Coding(ActCodeSystem, "NORDSCLCDS", "no redisclosure without information subject's consent directive"));
        }

        return security;
    }

    /// <summary>
    /// Adds a record's security labels (<see cref="For"/>) to a resource's <c>meta.security</c>: codes already there are
    /// kept, and of the confidentiality codes only the most restrictive remains (a label is never lowered).
    /// </summary>
    /// <param name="resource">The resource to label.</param>
    /// <param name="category">The record's data category.</param>
    /// <param name="labels">The record's sensitivity labels.</param>
    /// <param name="decision">The decision that permitted the export or disclosure, if any (see <see cref="For"/>).</param>
    /// <exception cref="ArgumentException">A label is <c>default(SensitivityLabel)</c>.</exception>
    public static void Apply(Resource resource, DataCategory category, IEnumerable<SensitivityLabel> labels, AccessDecision? decision = null)
    {
        ArgumentNullException.ThrowIfNull(resource);
        IReadOnlyList<Coding> added = For(category, labels, decision);
        resource.Meta ??= new Meta();
        List<Coding> security = [.. resource.Meta.Security];

        int rank = security.Where(IsConfidentiality).Select(c => Array.IndexOf(ConfidentialityOrder, c.Code)).DefaultIfEmpty(-1).Max();
        int addedRank = Array.IndexOf(ConfidentialityOrder, added[0].Code);
        security.RemoveAll(IsConfidentiality);
        security.Insert(0, Confidentiality(ConfidentialityOrder[Math.Max(rank, addedRank)]));

        foreach (Coding coding in added.Skip(1))
        {
            if (!security.Exists(c => c.System == coding.System && c.Code == coding.Code))
            {
                security.Add(coding);
            }
        }

        resource.Meta.Security = security;
    }

    /// <summary>
    /// The sensitivity labels in a resource's <c>meta.security</c>, for an application importing labelled resources:
    /// the v3-ActCode information-sensitivity codes (and the deprecated v3-Confidentiality <c>ETH</c>, <c>HIV</c>,
    /// <c>PSY</c>, <c>SDV</c> as their ActCode successors), plus <see cref="SensitivityLabel.SubstanceUseDisorder"/> when the
    /// resource carries <c>42CFRPart2</c> — a Part 2 record stays one, whatever else it is labelled.
    /// </summary>
    /// <param name="resource">The resource.</param>
    /// <returns>The labels, each once, in the order of <c>meta.security</c>.</returns>
    public static IReadOnlyList<SensitivityLabel> ReadSensitivityLabels(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var labels = new List<SensitivityLabel>();
        bool part2 = false;
        foreach (Coding coding in resource.Meta?.Security ?? [])
        {
            if (coding.Code is not { Length: > 0 } code)
            {
                continue;
            }

            bool sensitivity = (coding.System == ActCodeSystem && SensitivityCodes.Contains(code))
                || (coding.System == ConfidentialitySystem && code is "ETH" or "HIV" or "PSY" or "SDV");
            part2 |= coding.System == ActCodeSystem && code == "42CFRPart2";
            if (sensitivity && !labels.Contains(new SensitivityLabel(code)))
            {
                labels.Add(new SensitivityLabel(code));
            }
        }

        if (part2 && !labels.Contains(SensitivityLabel.SubstanceUseDisorder))
        {
            labels.Add(SensitivityLabel.SubstanceUseDisorder);
        }

        return labels;
    }

    private static bool IsConfidentiality(Coding coding) =>
        coding.System == ConfidentialitySystem && Array.IndexOf(ConfidentialityOrder, coding.Code) >= 0;

    private static Coding Confidentiality(string code) => new(ConfidentialitySystem, code, code switch
    {
        "U" => "unrestricted",
        "L" => "low",
        "M" => "moderate",
        "N" => "normal",
        "R" => "restricted",
        _ => "very restricted",
    });
}
