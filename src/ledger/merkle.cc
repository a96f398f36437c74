#include "ledger/merkle.h"

#include <bit>
#include <cstdlib>
#include <string>
#include <utility>

#include "crypto/crypto.h"

namespace forewarn::ledger {
namespace {

constexpr char kLeafPrefix = '\x00';
constexpr char kNodePrefix = '\x01';

// The largest power of two strictly smaller than n (RFC 9162 "k"); requires n >= 2.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

// True iff every element has the length of a hash; a proof of other lengths is malformed.
bool AllHashSized(const std::vector<std::string>& hashes) {
  for (const std::string& h : hashes) {
    if (h.size() != kHashSize) return false;
  }
  return true;
}

// The RFC 9162 §2.1.3.1 PATH(m, D[begin:end]), appended leaf-first to `out`.
Status AppendPath(uint64_t m, uint64_t begin, uint64_t end, NodeReader& reader,
                  std::vector<std::string>& out) {
  const uint64_t n = end - begin;
  if (n <= 1) return Ok();
  const uint64_t k = SplitPoint(n);
  if (m < k) {
    FW_TRY(AppendPath(m, begin, begin + k, reader, out));
    FW_ASSIGN_OR_RETURN(std::string right, SubtreeHash(begin + k, end, reader));
    out.push_back(std::move(right));
  } else {
    FW_TRY(AppendPath(m - k, begin + k, end, reader, out));
    FW_ASSIGN_OR_RETURN(std::string left, SubtreeHash(begin, begin + k, reader));
    out.push_back(std::move(left));
  }
  return Ok();
}

// The RFC 9162 §2.1.4.1 SUBPROOF(m, D[begin:end], b), appended to `out`.
Status AppendSubproof(uint64_t m, uint64_t begin, uint64_t end, bool b, NodeReader& reader,
                      std::vector<std::string>& out) {
  const uint64_t n = end - begin;
  if (m == n) {
    // The old tree's root is a node of the new tree: the verifier knows it already only when
    // it is the old root itself (b == true).
    if (!b) {
      FW_ASSIGN_OR_RETURN(std::string hash, SubtreeHash(begin, end, reader));
      out.push_back(std::move(hash));
    }
    return Ok();
  }
  const uint64_t k = SplitPoint(n);
  if (m <= k) {
    FW_TRY(AppendSubproof(m, begin, begin + k, b, reader, out));
    FW_ASSIGN_OR_RETURN(std::string right, SubtreeHash(begin + k, end, reader));
    out.push_back(std::move(right));
  } else {
    FW_TRY(AppendSubproof(m - k, begin + k, end, false, reader, out));
    FW_ASSIGN_OR_RETURN(std::string left, SubtreeHash(begin, begin + k, reader));
    out.push_back(std::move(left));
  }
  return Ok();
}

}  // namespace

std::string LeafHash(std::string_view leaf) {
  std::string buffer;
  buffer.reserve(1 + leaf.size());
  buffer.push_back(kLeafPrefix);
  buffer.append(leaf);
  return crypto::Sha256(buffer);
}

std::string NodeHash(std::string_view left, std::string_view right) {
  std::string buffer;
  buffer.reserve(1 + left.size() + right.size());
  buffer.push_back(kNodePrefix);
  buffer.append(left);
  buffer.append(right);
  return crypto::Sha256(buffer);
}

std::string EmptyRoot() { return crypto::Sha256(""); }

Result<std::vector<NodeWrite>> NodesCompletedByAppend(uint64_t new_leaf_index,
                                                      std::string_view leaf_hash,
                                                      NodeReader& reader) {
  if (leaf_hash.size() != kHashSize) {
    return Fail(ErrorCode::kInvalidArgument, "merkle append: leaf hash must be 32 bytes, got " +
                                                 std::to_string(leaf_hash.size()));
  }
  std::vector<NodeWrite> writes;
  writes.push_back(NodeWrite{0, new_leaf_index, std::string(leaf_hash)});
  int level = 0;
  uint64_t index = new_leaf_index;
  // An odd index is a right child: its left sibling is complete, so their parent is too.
  while ((index & 1) == 1) {
    FW_ASSIGN_OR_RETURN(std::string left, reader.Node(level, index - 1));
    std::string parent = NodeHash(left, writes.back().hash);
    ++level;
    index >>= 1;
    writes.push_back(NodeWrite{level, index, std::move(parent)});
  }
  return writes;
}

Result<RightEdge> ReadRightEdge(uint64_t tree_size, NodeReader& reader) {
  RightEdge edge{tree_size, {}};
  uint64_t offset = 0;
  for (int level = 63; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if ((tree_size & width) == 0) continue;
    FW_ASSIGN_OR_RETURN(std::string hash, reader.Node(level, offset >> level));
    edge.nodes.push_back(NodeWrite{level, offset >> level, std::move(hash)});
    offset += width;
  }
  return edge;
}

std::string RootOf(const RightEdge& edge) {
  if (edge.nodes.empty()) return EmptyRoot();
  // MTH splits at the largest power of two, the leftmost perfect subtree: fold right to left.
  std::string root = edge.nodes.back().hash;
  for (size_t i = edge.nodes.size() - 1; i-- > 0;) root = NodeHash(edge.nodes[i].hash, root);
  return root;
}

Result<std::vector<NodeWrite>> AppendToRightEdge(RightEdge& edge, std::string_view leaf_hash) {
  if (leaf_hash.size() != kHashSize) {
    return Fail(ErrorCode::kInvalidArgument, "merkle append: leaf hash must be 32 bytes, got " +
                                                 std::to_string(leaf_hash.size()));
  }
  const uint64_t index = edge.size;
  std::vector<NodeWrite> writes = {NodeWrite{0, index, std::string(leaf_hash)}};
  edge.nodes.push_back(writes.back());
  // Two trailing subtrees of the same level are siblings: their parent is now complete.
  while (edge.nodes.size() >= 2 &&
         edge.nodes[edge.nodes.size() - 2].level == edge.nodes.back().level) {
    const int level = edge.nodes.back().level + 1;
    NodeWrite parent{level, index >> level,
                     NodeHash(edge.nodes[edge.nodes.size() - 2].hash, edge.nodes.back().hash)};
    edge.nodes.pop_back();
    edge.nodes.back() = parent;
    writes.push_back(std::move(parent));
  }
  ++edge.size;
  return writes;
}

Result<std::string> SubtreeHash(uint64_t begin, uint64_t end, NodeReader& reader) {
  if (begin > end) {
    return Fail(ErrorCode::kInvalidArgument,
                "merkle subtree: begin " + std::to_string(begin) + " > end " + std::to_string(end));
  }
  const uint64_t n = end - begin;
  if (n == 0) return EmptyRoot();
  // A perfect, aligned range is stored as a single node.
  if (std::has_single_bit(n) && (begin & (n - 1)) == 0) {
    const int level = std::countr_zero(n);
    return reader.Node(level, begin >> level);
  }
  const uint64_t k = SplitPoint(n);
  FW_ASSIGN_OR_RETURN(std::string left, SubtreeHash(begin, begin + k, reader));
  FW_ASSIGN_OR_RETURN(std::string right, SubtreeHash(begin + k, end, reader));
  return NodeHash(left, right);
}

Result<std::string> RootHash(uint64_t tree_size, NodeReader& reader) {
  return SubtreeHash(0, tree_size, reader);
}

Result<std::vector<std::string>> InclusionProof(uint64_t index, uint64_t tree_size,
                                                NodeReader& reader) {
  if (index >= tree_size) {
    return Fail(ErrorCode::kInvalidArgument, "merkle inclusion proof: index " +
                                                 std::to_string(index) + " >= tree size " +
                                                 std::to_string(tree_size));
  }
  std::vector<std::string> proof;
  FW_TRY(AppendPath(index, 0, tree_size, reader, proof));
  return proof;
}

Result<std::vector<std::string>> ConsistencyProof(uint64_t first, uint64_t second,
                                                  NodeReader& reader) {
  if (first == 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "merkle consistency proof: first tree size must be at least 1");
  }
  if (first > second) {
    return Fail(ErrorCode::kInvalidArgument, "merkle consistency proof: first " +
                                                 std::to_string(first) + " > second " +
                                                 std::to_string(second));
  }
  std::vector<std::string> proof;
  FW_TRY(AppendSubproof(first, 0, second, /*b=*/true, reader, proof));
  return proof;
}

bool VerifyInclusion(std::string_view leaf_hash, uint64_t index, uint64_t tree_size,
                     const std::vector<std::string>& proof, std::string_view root) {
  if (index >= tree_size) return false;
  if (leaf_hash.size() != kHashSize || root.size() != kHashSize || !AllHashSized(proof)) {
    return false;
  }
  // RFC 9162 §2.1.3.2, step by step.
  uint64_t fn = index;
  uint64_t sn = tree_size - 1;
  std::string r(leaf_hash);
  for (const std::string& p : proof) {
    if (sn == 0) return false;  // proof longer than the path
    if ((fn & 1) == 1 || fn == sn) {
      r = NodeHash(p, r);
      // Skip the levels where this node has no right sibling (right edge of the tree).
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool VerifyConsistency(uint64_t first, uint64_t second, std::string_view first_root,
                       std::string_view second_root, const std::vector<std::string>& proof) {
  if (first == 0 || first > second) return false;
  if (first_root.size() != kHashSize || second_root.size() != kHashSize || !AllHashSized(proof)) {
    return false;
  }
  if (first == second) return proof.empty() && first_root == second_root;
  // RFC 9162 §2.1.4.2, step by step.
  if (proof.empty()) return false;
  std::vector<std::string_view> path;
  path.reserve(proof.size() + 1);
  // When the old tree is perfect its root is a node of the new tree and is not in the proof.
  if (std::has_single_bit(first)) path.push_back(first_root);
  for (const std::string& c : proof) path.emplace_back(c);

  uint64_t fn = first - 1;
  uint64_t sn = second - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  std::string fr(path[0]);
  std::string sr(path[0]);
  for (size_t i = 1; i < path.size(); ++i) {
    const std::string_view c = path[i];
    if (sn == 0) return false;  // proof longer than needed
    if ((fn & 1) == 1 || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && fr == first_root && sr == second_root;
}

uint64_t MemoryTree::Append(std::string_view leaf_data) {
  Result<uint64_t> index = AppendLeafHash(LeafHash(leaf_data));
  // LeafHash always yields kHashSize bytes and our own reader cannot fail for complete nodes,
  // so a failure here is a bug in this file.
  if (!index.has_value()) std::abort();
  return index.value();
}

Result<uint64_t> MemoryTree::AppendLeafHash(std::string_view leaf_hash) {
  const uint64_t index = size();
  FW_ASSIGN_OR_RETURN(std::vector<NodeWrite> writes,
                      NodesCompletedByAppend(index, leaf_hash, *this));
  for (NodeWrite& write : writes) {
    const auto level = static_cast<size_t>(write.level);
    if (levels_.size() <= level) levels_.resize(level + 1);
    // Nodes at each level complete left to right, so each write lands at the end.
    levels_[level].push_back(std::move(write.hash));
  }
  return index;
}

Result<std::string> MemoryTree::Node(int level, uint64_t index) {
  if (level < 0 || static_cast<size_t>(level) >= levels_.size() ||
      index >= levels_[static_cast<size_t>(level)].size()) {
    return Fail(ErrorCode::kNotFound, "merkle node (" + std::to_string(level) + ", " +
                                          std::to_string(index) + ") not in the tree");
  }
  return levels_[static_cast<size_t>(level)][index];
}

}  // namespace forewarn::ledger
