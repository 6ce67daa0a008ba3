// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.24;

import "./Owned.sol";

interface ITaskCallback {
    function nodeAvailableCallback(address root) external;
}

/// Devnet node registry with the external interface of the 2024 Node contract
/// (SPEC §3.2, §7.1). No QoS: selection is pseudo-random, seeded by the task hash.
contract Node is CalledByTask {
    // Status codes of getNodeStatus (SPEC §3.2).
    uint256 constant QUIT = 0;
    uint256 constant AVAILABLE = 1;
    uint256 constant BUSY = 2;
    uint256 constant PENDING_PAUSE = 3;
    uint256 constant PENDING_QUIT = 4;
    uint256 constant PAUSED = 5;

    uint256 public constant STAKE = 400 ether;

    struct NodeInfo {
        uint256 status;
        bytes32 gpuID; // keccak256(abi.encodePacked(gpuName, gpuVram)): LLM tasks need 3 equal ones (SPEC §3.5)
        uint256 gpuVram;
        uint256 stake;
        string gpuName;
    }

    event NodeSlashed(address nodeAddress);
    mapping(address => NodeInfo) private nodes;
    address[] private available;
    mapping(address => uint256) private availablePos; // index + 1

    // ---- node operators (SPEC §7.1) ----

    function join(string calldata gpuName, uint256 gpuVram) external payable {
        require(msg.value >= STAKE, "Staked amount is not enough");
        NodeInfo storage n = nodes[msg.sender];
        require(n.status == QUIT, "Node already joined");
        n.status = AVAILABLE;
        n.gpuName = gpuName;
        n.gpuVram = gpuVram;
        n.gpuID = keccak256(abi.encodePacked(gpuName, gpuVram));
        n.stake = msg.value;
        _addAvailable(msg.sender);
        // A new node may let a queued task start in this very transaction (SPEC §3.5).
        ITaskCallback(taskContract).nodeAvailableCallback(msg.sender);
    }

    function quit() external {
        NodeInfo storage n = nodes[msg.sender];
        uint256 s = n.status;
        if (s == AVAILABLE || s == PAUSED) {
            _removeAvailable(msg.sender);
            _leave(msg.sender);
        } else if (s == BUSY || s == PENDING_PAUSE) {
            n.status = PENDING_QUIT; // the stake comes back once the current task is settled
        } else {
            revert("Illegal node status");
        }
    }

    function pause() external {
        NodeInfo storage n = nodes[msg.sender];
        if (n.status == AVAILABLE) {
            n.status = PAUSED;
            _removeAvailable(msg.sender);
        } else if (n.status == BUSY) {
            n.status = PENDING_PAUSE;
        } else {
            revert("Illegal node status");
        }
    }

    function resume() external {
        NodeInfo storage n = nodes[msg.sender];
        if (n.status == PAUSED) {
            n.status = AVAILABLE;
            _addAvailable(msg.sender);
            ITaskCallback(taskContract).nodeAvailableCallback(msg.sender);
        } else if (n.status == PENDING_PAUSE) {
            n.status = BUSY;
        } else {
            revert("Illegal node status");
        }
    }

    function getNodeStatus(address nodeAddress) external view returns (uint256) {
        return nodes[nodeAddress].status;
    }

    function getAvailableNodes() external view returns (address[] memory) {
        return available;
    }

    function availableCount() external view returns (uint256) {
        return available.length;
    }

    // ---- called by the Task contract ----

    /// Three distinct available nodes with gpuVram >= vramLimit (and, for LLM tasks, one
    /// gpuID), drawn pseudo-randomly from `seed`; an empty array when there are not enough.
    function selectNodes(uint256 vramLimit, bool sameGPU, bytes32 seed) external view returns (address[] memory) {
        uint256 total = available.length;
        address[] memory cand = new address[](total);
        uint256 m;
        for (uint256 i = 0; i < total; i++) {
            address a = available[i];
            if (nodes[a].gpuVram >= vramLimit) cand[m++] = a;
        }
        if (m < 3) return new address[](0);
        if (sameGPU) {
            // Try the GPU groups starting from a seeded position; take the first with 3 nodes.
            address[] memory group = new address[](m);
            uint256 start = uint256(seed) % m;
            for (uint256 s = 0; s < m; s++) {
                bytes32 g = nodes[cand[(start + s) % m]].gpuID;
                uint256 k;
                for (uint256 i = 0; i < m; i++) {
                    if (nodes[cand[i]].gpuID == g) group[k++] = cand[i];
                }
                if (k >= 3) return _draw(group, k, seed);
            }
            return new address[](0);
        }
        return _draw(cand, m, seed);
    }

    function startTask(address nodeAddress) external onlyTask {
        require(nodes[nodeAddress].status == AVAILABLE, "Node is not available");
        nodes[nodeAddress].status = BUSY;
        _removeAvailable(nodeAddress);
    }

    /// The node's part of a task is settled. The Task contract dequeues afterwards itself.
    function finishTask(address nodeAddress) external onlyTask {
        NodeInfo storage n = nodes[nodeAddress];
        if (n.status == BUSY) {
            n.status = AVAILABLE;
            _addAvailable(nodeAddress);
        } else if (n.status == PENDING_PAUSE) {
            n.status = PAUSED;
        } else if (n.status == PENDING_QUIT) {
            _leave(nodeAddress);
        }
    }

    /// The stake goes to the owner and the node is out (SPEC §3.8).
    function slash(address nodeAddress) external onlyTask {
        NodeInfo storage n = nodes[nodeAddress];
        uint256 stake = n.stake;
        _removeAvailable(nodeAddress);
        delete nodes[nodeAddress];
        emit NodeSlashed(nodeAddress);
        _send(owner, stake);
    }

    // ---- internals ----

    function _draw(address[] memory pool, uint256 len, bytes32 seed) private pure returns (address[] memory picked) {
        picked = new address[](3);
        for (uint256 i = 0; i < 3; i++) {
            uint256 j = i + (uint256(keccak256(abi.encode(seed, i))) % (len - i));
            (pool[i], pool[j]) = (pool[j], pool[i]);
            picked[i] = pool[i];
        }
    }

    function _leave(address a) private {
        uint256 stake = nodes[a].stake;
        delete nodes[a];
        _send(a, stake);
    }

    function _addAvailable(address a) private {
        if (availablePos[a] != 0) return;
        available.push(a);
        availablePos[a] = available.length;
    }

    function _removeAvailable(address a) private {
        uint256 pos = availablePos[a];
        if (pos == 0) return;
        address last = available[available.length - 1];
        available[pos - 1] = last;
        availablePos[last] = pos;
        available.pop();
        delete availablePos[a];
    }

    function _send(address to, uint256 amount) private {
        if (amount == 0) return;
        (bool ok, ) = to.call{value: amount}("");
        require(ok, "Token transfer failed");
    }
}
