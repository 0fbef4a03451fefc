namespace Hipaa.AspNetCore.Tests.Infrastructure;

/// <summary>A principal for the test authentication handler: claim type/value pairs sent in one request header.</summary>
public sealed record TestUser(string Name, params (string Type, string Value)[] Claims)
{
    public static TestUser Therapist { get; } = new("therapist", ("sub", "u-ther"), ("role", "Therapist"), ("care_team", "p1"), ("azp", "ehr-web"));

    public static TestUser Psychiatrist { get; } = new("psychiatrist", ("sub", "u-psy"), ("role", "Psychiatrist"), ("care_team", "p1"));

    public static TestUser Billing { get; } = new("billing", ("sub", "u-bill"), ("role", "Billing"));

    public static TestUser FrontDesk { get; } = new("frontdesk", ("sub", "u-front"), ("role", "FrontDesk"));

    public static TestUser Patient { get; } = new("patient", ("sub", "p1"), ("role", "Patient"));

    public static TestUser ComplianceOfficer { get; } = new("compliance", ("sub", "u-comp"), ("role", "ComplianceOfficer"));

    public static IReadOnlyDictionary<string, TestUser> ByName { get; } =
        new[] { Therapist, Psychiatrist, Billing, FrontDesk, Patient, ComplianceOfficer }.ToDictionary(u => u.Name);

    public string HeaderValue => string.Join(";", Claims.Select(c => Uri.EscapeDataString(c.Type) + "=" + Uri.EscapeDataString(c.Value)));

    public TestUser With(string type, string value) => this with { Claims = [.. Claims, (type, value)] };

    public override string ToString() => Name;
}
