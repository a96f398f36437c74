// File: ledger/merkle.h
//
// The Merkle tree of the audit ledger, as defined by RFC 9162 (Certificate Transparency v2)
// §2.1: leaf and node hashing, tree heads, inclusion and consistency proofs, and their
// verification. Pure functions only: storage is reached through the abstract `NodeReader`,
// which returns the hashes of *perfect* subtrees, so that an append reads and writes O(log n)
// nodes and no caller ever needs all the leaves in memory. `MemoryTree` is an in-memory
// `NodeReader` for tests and for verifying an exported ledger offline.
//
//   MemoryTree tree;  tree.Append("entry 0");  tree.Append("entry 1");
//   auto root = RootHash(tree.size(), tree);  auto proof = InclusionProof(1, tree.size(), tree);
//   bool ok = VerifyInclusion(LeafHash("entry 1"), 1, tree.size(), *proof, *root);
//
// Byte strings (leaves, hashes) are carried in std::string as raw bytes; every hash is 32 raw
// bytes of SHA-256. Leaf indices are 0-based; tree sizes count leaves.
//
// Node addressing: node (level L, index i) is the root of the perfect subtree over leaves
// [i·2^L, (i+1)·2^L). Level 0 holds the leaf hashes. A node exists once all of its leaves do.
//
// Thread safety: the free functions hold no state; they are as thread-safe as the NodeReader
// passed in. MemoryTree is not thread-safe (guard it externally if shared).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace forewarn::ledger {

// Size in bytes of every hash produced or accepted here (SHA-256).
inline constexpr size_t kHashSize = 32;

// --- RFC 9162 §2.1.1 hashing ---

// SHA-256(0x00 || leaf): the hash of one leaf (one ledger entry's bytes).
std::string LeafHash(std::string_view leaf);
// SHA-256(0x01 || left || right): the hash of an interior node from its two children.
std::string NodeHash(std::string_view left, std::string_view right);
// SHA-256(""): the root hash of the empty tree (tree size 0).
std::string EmptyRoot();

// --- storage model ---

// Read access to stored perfect-subtree hashes. Implementations: the ledger's database table,
// MemoryTree below, test doubles.
class NodeReader {
 public:
  virtual ~NodeReader() = default;
  // Returns the hash of the perfect subtree (level, index), covering leaves
  // [index·2^level, (index+1)·2^level). It must be available for every complete perfect subtree
  // of the tree the caller is working on. On a missing node, implementations return kNotFound
  // (or kInternal if storage is corrupt, kUnavailable if it is down); the functions below pass
  // such errors up unchanged.
  [[nodiscard]] virtual Result<std::string> Node(int level, uint64_t index) = 0;
};

// One node to store after an append.
struct NodeWrite {
  int level = 0;
  uint64_t index = 0;
  std::string hash;  // kHashSize raw bytes

  bool operator==(const NodeWrite&) const = default;
};

// The perfect-subtree nodes completed by appending leaf `new_leaf_index` (whose hash is
// `leaf_hash`) to a tree of exactly `new_leaf_index` leaves: first {0, new_leaf_index,
// leaf_hash}, then, while the current node's index is odd, its parent, made from the left
// sibling (read from `reader`) and the current node. The caller stores all of them, together,
// before the next append. Reads exactly countr_one(new_leaf_index) <= 64 nodes from `reader`,
// i.e. O(log n); writes are returned in bottom-up order.
// Errors: kInvalidArgument if `leaf_hash` is not kHashSize bytes; any error from `reader`.
[[nodiscard]] Result<std::vector<NodeWrite>> NodesCompletedByAppend(uint64_t new_leaf_index,
                                                                    std::string_view leaf_hash,
                                                                    NodeReader& reader);

// The right edge (compact range) of a tree: the roots of the perfect subtrees that make up
// leaves [0, size), leftmost (largest) first, one per set bit of `size`. It is all an append
// needs, so a writer that keeps it in memory appends without reading the store.
struct RightEdge {
  uint64_t size = 0;
  std::vector<NodeWrite> nodes;
};

// Reads the right edge of the first `tree_size` leaves: exactly popcount(tree_size) reads.
// Errors: any error from `reader`.
[[nodiscard]] Result<RightEdge> ReadRightEdge(uint64_t tree_size, NodeReader& reader);

// RootHash(edge.size) computed from the edge alone (no reads); EmptyRoot() for size 0.
std::string RootOf(const RightEdge& edge);

// Appends leaf `edge.size` with hash `leaf_hash`: updates `edge` and returns the completed
// nodes, the same ones NodesCompletedByAppend returns, without reads.
// Errors: kInvalidArgument if `leaf_hash` is not kHashSize bytes (edge unchanged).
[[nodiscard]] Result<std::vector<NodeWrite>> AppendToRightEdge(RightEdge& edge,
                                                               std::string_view leaf_hash);

// MTH(D[begin:end]) as defined in RFC 9162 §2.1.1 (split at the largest power of two smaller
// than the count), built from stored perfect subtrees. begin == end gives EmptyRoot().
// Cost: when the range is aligned the way RFC trees are split (begin is a multiple of the
// smallest power of two >= end - begin, which holds for every range the proofs below use),
// at most O(log(end - begin)) reads; an arbitrary unaligned range may cost up to
// O(end - begin) reads.
// Errors: kInvalidArgument if begin > end; any error from `reader` (e.g. kNotFound when `end`
// lies beyond the stored tree).
[[nodiscard]] Result<std::string> SubtreeHash(uint64_t begin, uint64_t end, NodeReader& reader);

// The root hash (tree head hash) of the first `tree_size` leaves: SubtreeHash(0, tree_size).
// EmptyRoot() for size 0. Reads exactly popcount(tree_size) nodes.
// Errors: any error from `reader`.
[[nodiscard]] Result<std::string> RootHash(uint64_t tree_size, NodeReader& reader);

// The inclusion proof PATH(index, D[0:tree_size]) of RFC 9162 §2.1.3.1: sibling hashes ordered
// from the leaf up to the root (empty for a tree of size 1). O(log² n) reads at most.
// Errors: kInvalidArgument if index >= tree_size (this includes tree_size == 0); any error from
// `reader`.
[[nodiscard]] Result<std::vector<std::string>> InclusionProof(uint64_t index, uint64_t tree_size,
                                                              NodeReader& reader);

// The consistency proof PROOF(first, D[0:second]) of RFC 9162 §2.1.4.1 showing that the tree
// of size `first` is a prefix of the tree of size `second`. Empty when first == second.
// O(log² n) reads at most.
// Errors: kInvalidArgument if first == 0 (RFC 9162 defines no proof from the empty tree) or
// first > second; any error from `reader`.
[[nodiscard]] Result<std::vector<std::string>> ConsistencyProof(uint64_t first, uint64_t second,
                                                                NodeReader& reader);

// --- verification (pure; needs no reader) ---

// RFC 9162 §2.1.3.2: true iff `proof` shows that `leaf_hash` is leaf `index` of the tree of
// size `tree_size` whose root is `root`. False for index >= tree_size, for any hash (leaf,
// root, or proof element) that is not kHashSize bytes, and for proofs of the wrong length.
bool VerifyInclusion(std::string_view leaf_hash, uint64_t index, uint64_t tree_size,
                     const std::vector<std::string>& proof, std::string_view root);

// RFC 9162 §2.1.4.2: true iff `proof` shows that the tree of size `first` with root
// `first_root` is a prefix of the tree of size `second` with root `second_root`.
// first == second: true iff the proof is empty and the roots are equal (and kHashSize bytes).
// False for first == 0, first > second, any hash not kHashSize bytes, or any malformed proof.
bool VerifyConsistency(uint64_t first, uint64_t second, std::string_view first_root,
                       std::string_view second_root, const std::vector<std::string>& proof);

// --- in-memory tree ---

// A complete in-memory Merkle tree: every perfect-subtree hash, level by level (level 0 holds
// the leaf hashes). Memory is about 2·n hashes. Use it in tests, or to rebuild an exported
// ledger and check its published tree heads offline. Not thread-safe.
class MemoryTree final : public NodeReader {
 public:
  MemoryTree() = default;

  // Appends one leaf (its raw bytes; it is hashed with LeafHash) and returns its index.
  uint64_t Append(std::string_view leaf_data);
  // Appends a leaf given by its hash and returns its index.
  // Errors: kInvalidArgument if `leaf_hash` is not kHashSize bytes (the tree is unchanged).
  [[nodiscard]] Result<uint64_t> AppendLeafHash(std::string_view leaf_hash);

  // Number of leaves.
  uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }

  // NodeReader: kNotFound if (level, index) is not a complete perfect subtree of this tree.
  [[nodiscard]] Result<std::string> Node(int level, uint64_t index) override;

 private:
  // levels_[L][i] is the hash of node (L, i).
  std::vector<std::vector<std::string>> levels_;
};

}  // namespace forewarn::ledger
