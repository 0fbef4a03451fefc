using System;

namespace Hipaa.SourceGeneration;

/// <summary>One generated file. Compared by value, so the incremental pipeline skips unchanged properties.</summary>
internal sealed class GeneratedSource(string hintName, string text) : IEquatable<GeneratedSource>
{
    public string HintName { get; } = hintName;

    public string Text { get; } = text;

    public bool Equals(GeneratedSource? other) => other is not null && HintName == other.HintName && Text == other.Text;

    public override bool Equals(object? obj) => Equals(obj as GeneratedSource);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(HintName) ^ StringComparer.Ordinal.GetHashCode(Text);
}
