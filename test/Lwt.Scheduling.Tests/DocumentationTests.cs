using System.Reflection;
using System.Runtime.CompilerServices;
using System.Xml.Linq;
using Lwt.Interop;

namespace Lwt.Tests;

/// <summary>
/// The rule of the public surface: every public (or protected) type and member has an XML doc,
/// and the doc names the Lwt function it implements (<c>Lwt: ...</c>), or says that there is
/// none and which .NET pattern the member serves instead. The compiler checks the first half
/// (CS1591 is an error in src/); this checks the second, against the XML files the build
/// writes next to the assemblies.
/// </summary>
public class DocumentationTests
{
    public static TheoryData<string> Assemblies => new() { "Lwt.Scheduling", "Lwt.Interop" };

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void Every_public_member_names_its_Lwt_function(string assemblyName)
    {
        var assembly = assemblyName == "Lwt.Scheduling" ? typeof(Promise).Assembly : typeof(PromiseInterop).Assembly;
        var xmlPath = Path.ChangeExtension(assembly.Location, ".xml");
        Assert.True(File.Exists(xmlPath), $"{xmlPath} is missing: the library projects generate their documentation file.");
        var docs = XDocument.Load(xmlPath).Descendants("member")
            .ToDictionary(m => (string)m.Attribute("name")!, m => m.ToString());

        var problems = new List<string>();
        int checkedCount = 0;
        foreach (var type in assembly.GetExportedTypes())
        {
            Check(DocId.Of(type), isImplicitConstructor: false);
            if (type.IsEnum) continue; // the enum's own doc names the Lwt type; its values follow it
            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var member in type.GetMembers(all))
            {
                if (!IsPartOfTheSurface(member)) continue;
                bool implicitCtor = member is ConstructorInfo c && c.GetParameters().Length == 0;
                Check(DocId.Of(member), implicitCtor);
            }
        }

        Assert.True(checkedCount > (assemblyName == "Lwt.Scheduling" ? 500 : 20), $"only {checkedCount} members found: the walk is broken");
        Assert.True(problems.Count == 0,
            $"{problems.Count} public member(s) whose doc does not name an Lwt function (add <para>Lwt: <c>...</c></para>, or 'Lwt: none' and why):\n  "
            + string.Join("\n  ", problems));

        void Check(string id, bool isImplicitConstructor)
        {
            if (!docs.TryGetValue(id, out var doc))
            {
                // A class without a declared constructor gets a public parameterless one from the
                // compiler, which has no doc to check (CS1591 does not ask for one either).
                if (!isImplicitConstructor) problems.Add(id + " (no doc found)");
                return;
            }
            checkedCount++;
            if (!doc.Contains("Lwt:", StringComparison.Ordinal) && !doc.Contains("<inheritdoc", StringComparison.Ordinal)) problems.Add(id);
        }
    }

    /// <summary>Public or protected, written by hand (not an accessor, not compiler-generated).</summary>
    private static bool IsPartOfTheSurface(MemberInfo member)
    {
        if (member is Type) return false; // nested types come from GetExportedTypes
        if (member.IsDefined(typeof(CompilerGeneratedAttribute), false)) return false;
        return member switch
        {
            MethodInfo m => (!m.IsSpecialName || m.Name.StartsWith("op_", StringComparison.Ordinal)) && IsVisible(m),
            ConstructorInfo c => !c.IsStatic && IsVisible(c),
            PropertyInfo p => (p.GetMethod is { } g && IsVisible(g)) || (p.SetMethod is { } s && IsVisible(s)),
            EventInfo e => e.AddMethod is { } a && IsVisible(a),
            FieldInfo f => !f.IsSpecialName && (f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly),
            _ => false,
        };
    }

    private static bool IsVisible(MethodBase m) => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly;

    /// <summary>The documentation ids the C# compiler writes (ECMA-334, annex D).</summary>
    private static class DocId
    {
        internal static string Of(Type type) => "T:" + TypeName(type);

        internal static string Of(MemberInfo member)
        {
            string owner = TypeName(member.DeclaringType!);
            switch (member)
            {
                case ConstructorInfo c:
                    return "M:" + owner + ".#ctor" + Parameters(c.GetParameters());
                case MethodInfo m:
                    string id = "M:" + owner + "." + m.Name.Replace('.', '#')
                        + (m.IsGenericMethodDefinition ? "``" + m.GetGenericArguments().Length : "")
                        + Parameters(m.GetParameters());
                    return m.Name is "op_Implicit" or "op_Explicit" ? id + "~" + Encode(m.ReturnType) : id;
                case PropertyInfo p:
                    return "P:" + owner + "." + p.Name + Parameters(p.GetIndexParameters());
                case EventInfo e:
                    return "E:" + owner + "." + e.Name;
                case FieldInfo f:
                    return "F:" + owner + "." + f.Name;
                default:
                    throw new ArgumentException($"unexpected member kind {member.MemberType}");
            }
        }

        private static string TypeName(Type type) =>
            (type.IsGenericType ? type.GetGenericTypeDefinition() : type).FullName!.Replace('+', '.');

        private static string Parameters(ParameterInfo[] parameters) =>
            parameters.Length == 0 ? "" : "(" + string.Join(",", parameters.Select(p => Encode(p.ParameterType))) + ")";

        private static string Encode(Type t)
        {
            if (t.IsByRef) return Encode(t.GetElementType()!) + "@";
            if (t.IsPointer) return Encode(t.GetElementType()!) + "*";
            if (t.IsArray)
                return Encode(t.GetElementType()!) + (t.GetArrayRank() == 1 ? "[]" : "[" + string.Join(",", Enumerable.Repeat("0:", t.GetArrayRank())) + "]");
            if (t.IsGenericParameter) return (t.DeclaringMethod is null ? "`" : "``") + t.GenericParameterPosition;
            if (!t.IsGenericType) return t.FullName!.Replace('+', '.');
            // Generic: each nesting level carries its own arity (Outer`1+Inner`1) and takes
            // its share of the arguments, written in braces instead of the arity.
            var args = t.GetGenericArguments();
            int next = 0;
            var parts = t.GetGenericTypeDefinition().FullName!.Split('+').Select(segment =>
            {
                int tick = segment.IndexOf('`');
                if (tick < 0) return segment;
                int arity = int.Parse(segment.AsSpan(tick + 1));
                var mine = args.Skip(next).Take(arity).Select(Encode);
                next += arity;
                return segment[..tick] + "{" + string.Join(",", mine) + "}";
            });
            return string.Join(".", parts);
        }
    }
}
