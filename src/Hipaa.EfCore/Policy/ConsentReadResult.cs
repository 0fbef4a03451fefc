namespace Hipaa.EfCore.Policy;

/// <summary>What reading one consent row gave: its payload, or why there is none.</summary>
internal readonly record struct ConsentReadResult(ConsentPayload? Payload, ConsentReadFailure Failure = ConsentReadFailure.None)
{
    public static ConsentReadResult Shredded { get; } = new(null, ConsentReadFailure.Shredded);

    public static ConsentReadResult Unreadable { get; } = new(null, ConsentReadFailure.Unreadable);
}
