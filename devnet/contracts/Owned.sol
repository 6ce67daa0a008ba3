// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.24;

/// What the three devnet contracts share: an owner (OpenZeppelin Ownable's interface and
/// messages, as the 2024 contracts had, SPEC §3.1) and, for Node and TaskQueue, the one Task
/// contract allowed to call them.
abstract contract Owned {
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    address public owner;

    constructor() {
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
    }

    modifier onlyOwner() {
        require(msg.sender == owner, "Ownable: caller is not the owner");
        _;
    }

    function transferOwnership(address newOwner) external onlyOwner {
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }
}

abstract contract CalledByTask is Owned {
    address public taskContract;

    modifier onlyTask() {
        require(msg.sender == taskContract, "Not called by the task contract");
        _;
    }

    function updateTaskContractAddress(address t) external onlyOwner {
        taskContract = t;
    }
}
